"""Sequential: building from input_shape or Input, lazily, add/pop, summary."""

import numpy as np
import pytest

import mlkit
from mlkit import layers


def test_first_layer_input_shape_builds_at_once_as_in_the_seeds():
    model = mlkit.Sequential([
        layers.Dense(64, activation="relu", input_shape=(20,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    assert model.built
    assert model.output_shape == (None, 10)
    assert [tuple(w.shape) for w in model.layers[0].weights] == [(20, 64), (64,)]
    assert model.count_params() == 20 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10


def test_input_first_then_layers():
    model = mlkit.Sequential([mlkit.Input(shape=(4,)), layers.Dense(2)])
    assert len(model.layers) == 1  # the Input is not one of model.layers
    assert model.input_shape == (None, 4)


def test_lazy_build_on_first_data():
    model = mlkit.Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built
    with pytest.raises(ValueError, match="not been built"):
        model.output_shape
    out = model(np.ones((5, 7), dtype="float32"))
    assert out.shape == (5, 1)
    assert model.built and model.layers[0].kernel.shape == (7, 3)
    assert model.output_shape == (None, 1)


def test_add_and_pop():
    model = mlkit.Sequential()
    model.add(mlkit.Input(shape=(3,)))
    model.add(layers.Dense(4))
    model.add(layers.Dense(2))
    assert model.output_shape == (None, 2)
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and model.output_shape == (None, 4)
    with pytest.raises(TypeError, match="takes a layer"):
        model.add("dense")


def test_shared_layer_with_a_different_input_width_fails_clearly():
    # Seed 004 §5.1 warns: a shared layer needs the same input shape each time.
    shared = layers.Dense(64, activation="relu")
    with pytest.raises(ValueError, match="axis -1 .* value 20"):
        mlkit.Sequential([mlkit.Input(shape=(20,)), shared, layers.Dense(32), shared])


def test_shared_layer_with_the_same_width_counts_weights_once():
    shared = layers.Dense(8)
    model = mlkit.Sequential([mlkit.Input(shape=(8,)), shared, layers.Dense(8), shared])
    assert model.count_params() == 2 * (8 * 8 + 8)


def test_get_layer_by_name_and_index():
    model = mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(2, name="first"), layers.Dense(1, name="last")])
    assert model.get_layer("last") is model.layers[1]
    assert model.get_layer(index=0).name == "first"
    with pytest.raises(ValueError, match="No such layer: 'nope'.*first"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 5"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match="exactly one"):
        model.get_layer()


def test_summary_table_and_totals_with_non_trainable_weights():
    model = mlkit.Sequential([mlkit.Input(shape=(20,)), layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 64)" in text and "1,344" in text
    assert "Total params: 1,994" in text
    assert "Trainable params: 650" in text
    assert "Non-trainable params: 1,344" in text


def test_config_round_trip_gives_the_same_predictions():
    model = mlkit.Sequential([mlkit.Input(shape=(5,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
    clone = mlkit.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.rand(3, 5).astype("float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_single_layer_instead_of_a_list_is_refused_with_the_fix():
    with pytest.raises(TypeError) as caught:
        mlkit.Sequential(mlkit.layers.Dense(4))
    assert "Sequential expects a list of layers, got a single Dense" in str(caught.value)
    assert "Sequential([...])" in str(caught.value)
