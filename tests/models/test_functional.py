"""The functional API: Input, wiring layers, several inputs/outputs, sharing."""

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops
from mlkit.utils.gradient_check import check_gradients


def test_input_has_no_batch_size_and_a_dtype():
    x = mlkit.Input(shape=(8, 8, 1), name="image")
    assert x.shape == (None, 8, 8, 1)
    assert x.dtype == "float32"
    assert mlkit.Input(batch_shape=(4, 3)).shape == (4, 3)
    with pytest.raises(ValueError, match="shape"):
        mlkit.Input()


def test_two_inputs_two_outputs_compute_what_the_layers_compute():
    a, b = mlkit.Input(shape=(3,), name="a"), mlkit.Input(shape=(5,), name="b")
    dense_a, dense_b, head = layers.Dense(4, name="da"), layers.Dense(4, name="db"), layers.Dense(2, name="head")
    joined = dense_a(a) + dense_b(b)
    out_1, out_2 = head(joined), joined * 2.0
    model = mlkit.Model([a, b], [out_1, out_2])
    xa, xb = np.random.rand(6, 3).astype("float32"), np.random.rand(6, 5).astype("float32")
    got_1, got_2 = model([xa, xb])
    expected_joined = (xa @ dense_a.kernel.numpy() + dense_a.bias.numpy()) + (xb @ dense_b.kernel.numpy() + dense_b.bias.numpy())
    np.testing.assert_allclose(got_2.numpy(), 2 * expected_joined, rtol=1e-5)
    np.testing.assert_allclose(got_1.numpy(), expected_joined @ head.kernel.numpy() + head.bias.numpy(), rtol=1e-5)
    # A dict keyed by Input names works too.
    by_name = model({"a": xa, "b": xb})
    np.testing.assert_allclose(by_name[0].numpy(), got_1.numpy())


def test_layer_exposes_input_output_and_shapes_like_the_seed_table():
    inputs = mlkit.Input(shape=(20,))
    dense = layers.Dense(64, activation="relu")
    outputs = dense(inputs)
    assert dense.input is inputs
    assert dense.output is outputs
    assert dense.input_shape == (None, 20)
    assert dense.output_shape == (None, 64)
    assert [tuple(w.shape) for w in dense.weights] == [(20, 64), (64,)]


def test_shared_layer_keeps_one_set_of_weights_and_sums_gradients():
    shared = layers.Dense(3, use_bias=False, dtype="float64", name="shared")
    a, b = mlkit.Input(shape=(2,), dtype="float64"), mlkit.Input(shape=(2,), dtype="float64")
    model = mlkit.Model([a, b], shared(a) + shared(b), dtype="float64")
    assert len(model.weights) == 1
    assert model.count_params() == 6
    xa, xb = np.random.rand(4, 2), np.random.rand(4, 2)
    with mlkit.GradientTape() as tape:
        loss = ops.sum(model([xa, xb]))
    grad = tape.gradient(loss, shared.kernel).numpy()
    # d/dW sum((xa + xb) W) = (xa + xb)^T 1 — both uses contribute.
    np.testing.assert_allclose(grad, (xa + xb).T @ np.ones((4, 3)))
    check_gradients(lambda: model([xa, xb]), [shared.kernel])


def test_model_used_as_a_layer_inside_another_model():
    inner_in = mlkit.Input(shape=(4,))
    inner = mlkit.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    outer_in = mlkit.Input(shape=(4,))
    outer = mlkit.Model(outer_in, layers.Dense(1, name="top")(inner(outer_in)), name="outer")
    assert outer.count_params() == 4 * 3 + 3 + 3 + 1
    x = np.random.rand(5, 4).astype("float32")
    expected = inner(x).numpy() @ outer.get_layer("top").kernel.numpy() + outer.get_layer("top").bias.numpy()
    np.testing.assert_allclose(outer(x).numpy(), expected, rtol=1e-5)


def test_disconnected_graph_is_refused_with_the_missing_input_named():
    a, b = mlkit.Input(shape=(2,), name="a"), mlkit.Input(shape=(2,), name="b")
    out = layers.Dense(2)(a) + layers.Dense(2)(b)
    with pytest.raises(ValueError, match="Graph disconnected.*'b'"):
        mlkit.Model(a, out)


def test_non_symbolic_inputs_are_refused():
    with pytest.raises(TypeError, match="symbolic"):
        mlkit.Model(np.ones((2, 2)), np.ones((2, 2)))


def test_wrong_number_of_inputs_names_the_model():
    a, b = mlkit.Input(shape=(2,)), mlkit.Input(shape=(2,))
    model = mlkit.Model([a, b], layers.Dense(1)(a) + layers.Dense(1)(b), name="pair")
    with pytest.raises(ValueError, match='"pair" expects 2 input'):
        model(np.ones((1, 2)))


def test_config_round_trip_rebuilds_the_same_graph():
    a, b = mlkit.Input(shape=(3,)), mlkit.Input(shape=(5,))
    shared = layers.Dense(4, activation="tanh")
    x = layers.Dense(4)(a) + layers.Dense(4)(b)
    out = shared(x)[:, :2]
    model = mlkit.Model([a, b], [out, shared(x * 0.5)])
    clone = mlkit.Model.from_config(model.get_config())
    assert [type(l).__name__ for l in clone.layers] == [type(l).__name__ for l in model.layers]
    clone.set_weights(model.get_weights())
    xa, xb = np.random.rand(3, 3).astype("float32"), np.random.rand(3, 5).astype("float32")
    for got, expected in zip(clone.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_summary_counts_parameters_and_shows_connections():
    a, b = mlkit.Input(shape=(3,)), mlkit.Input(shape=(5,))
    model = mlkit.Model([a, b], layers.Dense(2)(layers.Dense(4)(a) + layers.Dense(4)(b)))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 50" in text  # 16 + 24 + 10
    assert "Connected to" in text
    assert "(None, 2)" in text


class CountingModel(mlkit.Model):
    """A Model subclass that only changes train_step: built as CountingModel(inputs, outputs)."""

    def train_step(self, data):
        self.custom_steps = getattr(self, "custom_steps", 0) + 1
        return super().train_step(data)


def test_a_model_subclass_called_with_inputs_and_outputs_is_functional_with_its_methods():
    inputs = mlkit.Input(shape=(4,))
    model = CountingModel(inputs, layers.Dense(1, name="out")(inputs), name="counting")
    assert isinstance(model, CountingModel) and type(model).__name__ == "CountingModel"
    assert [layer.name for layer in model.layers][1:] == ["out"]
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(16, 4).astype("float32"), np.random.rand(16, 1).astype("float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert model.custom_steps == 8
    dense = model.get_layer("out")
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ dense.kernel.numpy() + dense.bias.numpy(), rtol=1e-5)


def test_a_functional_model_subclass_round_trips_through_a_file(tmp_path):
    inputs = mlkit.Input(shape=(3,))
    model = CountingModel(inputs=inputs, outputs=layers.Dense(2)(inputs))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "counting.keras")
    reloaded = mlkit.saving.load_model(tmp_path / "counting.keras", custom_objects={"CountingModel": CountingModel})
    assert type(reloaded).__name__ == "CountingModel" and isinstance(reloaded, CountingModel)
    for saved, loaded in zip(model.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    reloaded.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    assert reloaded.custom_steps == 1


def test_a_subclass_taking_its_own_positional_arguments_stays_subclassed():
    class Widths(mlkit.Model):
        def __init__(self, first, second, **kwargs):
            super().__init__(**kwargs)
            self.hidden, self.head = layers.Dense(first), layers.Dense(second)

        def call(self, inputs):
            return self.head(self.hidden(inputs))

    model = Widths(8, 2)
    assert model(np.ones((3, 5), "float32")).shape == (3, 2)
    assert len(model.weights) == 4


def test_a_list_of_sizes_from_compute_output_shape_is_one_shape_as_in_keras():
    class ListShaped(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

        def compute_output_shape(self, input_shape):
            return list(input_shape)

    outputs = ListShaped()(mlkit.Input(shape=(5, 3)))
    assert outputs.shape == (None, 5, 3)
