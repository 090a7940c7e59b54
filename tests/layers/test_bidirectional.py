"""Tests for mlkit/layers/rnn/bidirectional.py.

The wrapper's numbers are checked two ways: against a naive NumPy loop
(SimpleRNN read forwards and backwards), and against two separately built
mlkit layers (whose own equations test_lstm.py / test_gru.py check).
"""

import doctest

import numpy as np
import pytest

from mlkit import layers
from mlkit.layers.rnn import bidirectional as bidirectional_module
from mlkit.utils.gradient_check import check_gradients


def simple_rnn_reference(x, kernel, recurrent_kernel, bias, h=None, reverse=False):
    """h_t = tanh(x_t W + h_{t-1} U + b) over the steps, returned in time order."""
    batch, steps, _ = x.shape
    h = np.zeros((batch, recurrent_kernel.shape[0])) if h is None else h
    outputs = [None] * steps
    for t in reversed(range(steps)) if reverse else range(steps):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        outputs[t] = h
    return np.stack(outputs, axis=1)


def random_weights(rng, shapes):
    return [rng.normal(0, 0.5, shape) for shape in shapes]


def built(layer, features=3):
    layer.build((None, 5, features))
    return layer


def test_two_fresh_copies_with_keras_names_and_weight_order():
    wrapped = built(layers.Bidirectional(layers.LSTM(2, return_sequences=True, name="lstm"), name="bidirectional"))
    assert (wrapped.forward_layer.name, wrapped.backward_layer.name) == ("forward_lstm", "backward_lstm")
    assert (wrapped.forward_layer.go_backwards, wrapped.backward_layer.go_backwards) == (False, True)
    assert [w.path for w in wrapped.weights] == [
        f"bidirectional/{direction}_lstm/lstm_cell/{name}"
        for direction in ("forward", "backward")
        for name in ("kernel", "recurrent_kernel", "bias")
    ]
    assert wrapped.return_sequences and not wrapped.return_state


def test_outputs_equal_a_numpy_loop_read_both_ways():
    rng = np.random.default_rng(0)
    weights = random_weights(rng, [(3, 4), (4, 4), (4,), (3, 4), (4, 4), (4,)])
    wrapped = built(layers.Bidirectional(layers.SimpleRNN(4, return_sequences=True, dtype="float64"), dtype="float64"))
    wrapped.set_weights(weights)  # forward layer's weights first, then the backward layer's
    x = rng.normal(size=(2, 5, 3))
    expected = np.concatenate(
        [simple_rnn_reference(x, *weights[:3]), simple_rnn_reference(x, *weights[3:], reverse=True)], axis=-1
    )
    np.testing.assert_allclose(wrapped(x).numpy(), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_merge_modes_combine_the_two_directions(merge_mode, return_sequences):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3))
    wrapped = built(layers.Bidirectional(
        layers.LSTM(3, return_sequences=return_sequences, dtype="float64"), merge_mode=merge_mode, dtype="float64"
    ))
    forward = built(layers.LSTM(3, return_sequences=return_sequences, dtype="float64"))
    backward = built(layers.LSTM(3, return_sequences=return_sequences, go_backwards=True, dtype="float64"))
    weights = wrapped.get_weights()
    forward.set_weights(weights[:3])
    backward.set_weights(weights[3:])
    y = forward(x).numpy()
    y_reversed = backward(x).numpy()[:, ::-1] if return_sequences else backward(x).numpy()
    expected = {
        "concat": np.concatenate([y, y_reversed], axis=-1), "sum": y + y_reversed,
        "ave": (y + y_reversed) / 2, "mul": y * y_reversed,
    }
    output = wrapped(x)
    if merge_mode is None:
        np.testing.assert_allclose(output[0].numpy(), y, rtol=1e-12)
        np.testing.assert_allclose(output[1].numpy(), y_reversed, rtol=1e-12)
    else:
        np.testing.assert_allclose(output.numpy(), expected[merge_mode], rtol=1e-12)
    assert wrapped.compute_output_shape((2, 5, 3)) == (
        tuple(o.shape for o in output) if merge_mode is None else output.shape
    )


def test_return_state_gives_forward_then_backward_states_and_initial_state_splits_the_same_way():
    rng = np.random.default_rng(2)
    wrapped = built(layers.Bidirectional(layers.LSTM(2, return_state=True, dtype="float64"), dtype="float64"))
    x = rng.normal(size=(2, 4, 3))
    states = [rng.normal(size=(2, 2)) for _ in range(4)]
    output, forward_h, forward_c, backward_h, backward_c = wrapped(x, initial_state=states)
    forward = built(layers.LSTM(2, return_state=True, dtype="float64"))
    backward = built(layers.LSTM(2, return_state=True, go_backwards=True, dtype="float64"))
    forward.set_weights(wrapped.get_weights()[:3])
    backward.set_weights(wrapped.get_weights()[3:])
    expected_forward = forward(x, initial_state=states[:2])
    expected_backward = backward(x, initial_state=states[2:])
    expected_states = expected_forward[1:] + expected_backward[1:]
    for got, expected in zip([forward_h, forward_c, backward_h, backward_c], expected_states):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), np.concatenate([forward_h.numpy(), backward_h.numpy()], axis=-1))
    assert wrapped.compute_output_shape((None, 4, 3)) == ((None, 4), (None, 2), (None, 2), (None, 2), (None, 2))


@pytest.mark.parametrize(
    "layer, merge_mode",
    [
        (lambda: layers.LSTM(2, return_sequences=True, dtype="float64"), "concat"),
        (lambda: layers.GRU(2, return_state=True, dtype="float64"), "sum"),
        (lambda: layers.GRU(2, reset_after=False, return_sequences=True, dtype="float64"), None),
        (lambda: layers.SimpleRNN(2, dtype="float64"), "mul"),
    ],
)
def test_gradients_match_finite_differences(layer, merge_mode):
    rng = np.random.default_rng(3)
    wrapped = built(layers.Bidirectional(layer(), merge_mode=merge_mode, dtype="float64"), features=2)
    wrapped.set_weights([rng.normal(0, 0.5, w.shape) for w in wrapped.weights])
    check_gradients(lambda x: wrapped(x), [rng.normal(size=(2, 3, 2)), *wrapped.weights])


def test_gradients_with_initial_states():
    rng = np.random.default_rng(4)
    wrapped = built(layers.Bidirectional(layers.LSTM(2, dtype="float64"), dtype="float64"), features=2)
    states = [rng.normal(size=(2, 2)) for _ in range(4)]
    check_gradients(lambda x, *states: wrapped(x, initial_state=list(states)), [rng.normal(size=(2, 3, 2)), *states])


def test_custom_backward_layer_and_initial_weights():
    rng = np.random.default_rng(5)
    backward = layers.GRU(3, activation="relu", go_backwards=True, return_sequences=True, name="reverse_gru")
    weights = random_weights(rng, [(2, 9), (3, 9), (2, 9), (2, 9), (3, 9), (2, 9)])
    wrapped = layers.Bidirectional(layers.GRU(3, return_sequences=True), backward_layer=backward, weights=weights)
    assert wrapped.backward_layer is backward and wrapped.forward_layer.name.startswith("forward_gru")
    output = wrapped(rng.normal(size=(2, 4, 2)).astype(np.float32))
    assert output.shape == (2, 4, 6)
    for got, expected in zip(wrapped.get_weights(), weights):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_config_round_trip_rebuilds_both_layers():
    backward = layers.LSTM(3, go_backwards=True, return_sequences=True, activation="relu", name="back")
    wrapped = layers.Bidirectional(layers.LSTM(3, return_sequences=True, name="lstm"), merge_mode="ave",
                                   backward_layer=backward, name="bi")
    config = wrapped.get_config()
    assert {"merge_mode", "layer", "backward_layer", "name", "trainable", "dtype"} <= set(config)
    assert config["layer"]["class_name"] == "LSTM" and config["layer"]["config"]["name"] == "forward_lstm"
    assert config["backward_layer"]["config"]["activation"] == "relu"
    clone = layers.Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert (clone.forward_layer.name, clone.backward_layer.name, clone.merge_mode) == ("forward_lstm", "back", "ave")


def test_errors_are_clear():
    with pytest.raises(ValueError, match="Layer` instance"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match='"return_sequences"'):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True))
    wrapped = layers.Bidirectional(layers.LSTM(2), name="both_ways")
    expected = r"Bidirectional layer 'both_ways' expects inputs of shape \(batch, timesteps, features\)"
    with pytest.raises(ValueError, match=expected):
        wrapped(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="even number"):
        wrapped(np.ones((2, 3, 1), np.float32), initial_state=[np.zeros((2, 2), np.float32)] * 3)


def test_docstring_examples():
    assert doctest.testmod(bidirectional_module).failed == 0
