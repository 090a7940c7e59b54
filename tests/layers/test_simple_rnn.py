"""Tests for mlkit/layers/rnn/simple_rnn.py, its fused op and the generic RNN layer (rnn.py).

`keras_simple_rnn_reference` writes Keras's SimpleRNN equation as a naive
NumPy loop; the layer loaded with the same weights must match it.
"""

import doctest

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops
from mlkit.layers import rnn as rnn_package
from mlkit.layers.rnn import base_cell, dropout_rnn_cell, fused_simple_rnn
from mlkit.layers.rnn import rnn as rnn_module, simple_rnn as simple_rnn_module
from mlkit.utils.gradient_check import check_gradients


def keras_simple_rnn_reference(x, kernel, recurrent_kernel, bias, h=None, go_backwards=False, activation=np.tanh):
    """Outputs of every step (in processing order) — h_t = act(x_t W + h_{t-1} U + b)."""
    batch, steps, _ = x.shape
    h = np.zeros((batch, recurrent_kernel.shape[0])) if h is None else h
    outputs = []
    for t in reversed(range(steps)) if go_backwards else range(steps):
        h = activation(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def random_weights(rng, features, units, scale=0.6):
    return [rng.normal(0, scale, shape) for shape in [(features, units), (units, units), (units,)]]


def built_rnn(units, features, weights=None, **kwargs):
    layer = layers.SimpleRNN(units, **kwargs)
    layer.build((None, 4, features))
    if weights is not None:
        layer.set_weights(weights)
    return layer


def test_weights_follow_keras_names_paths_and_shapes():
    rnn = built_rnn(3, 2, name="simple_rnn")
    assert [(w.path, w.shape) for w in rnn.weights] == [
        ("simple_rnn/simple_rnn_cell/kernel", (2, 3)),
        ("simple_rnn/simple_rnn_cell/recurrent_kernel", (3, 3)),
        ("simple_rnn/simple_rnn_cell/bias", (3,)),
    ]
    assert not rnn.weights[2].numpy().any()


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("activation, numpy_activation", [("tanh", np.tanh), ("relu", lambda a: np.maximum(a, 0))])
def test_outputs_equal_the_keras_equation(go_backwards, activation, numpy_activation):
    rng = np.random.default_rng(0)
    weights = random_weights(rng, 3, 4)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    rnn = built_rnn(4, 3, weights, activation=activation, return_sequences=True, return_state=True,
                    go_backwards=go_backwards, dtype="float64")
    sequence, state = rnn(x, initial_state=h0)  # a single state may be passed bare
    expected = keras_simple_rnn_reference(x, *weights, h0, go_backwards, numpy_activation)
    np.testing.assert_allclose(sequence.numpy(), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state.numpy(), expected[:, -1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "return_sequences, return_state, go_backwards", [(False, False, False), (True, True, False), (True, False, True)]
)
def test_gradients_match_finite_differences(return_sequences, return_state, go_backwards):
    rng = np.random.default_rng(1)
    rnn = built_rnn(3, 2, random_weights(rng, 2, 3), dtype="float64", return_sequences=return_sequences,
                    return_state=return_state, go_backwards=go_backwards)
    x, h0 = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 3))
    check_gradients(lambda x, h: rnn(x, initial_state=[h]), [x, h0, *rnn.weights])


def test_gradients_without_bias_and_with_linear_activation():
    rng = np.random.default_rng(2)
    rnn = built_rnn(3, 2, random_weights(rng, 2, 3)[:2], dtype="float64", use_bias=False, activation="linear")
    check_gradients(lambda x: rnn(x), [rng.normal(size=(2, 4, 2)), *rnn.weights])


def test_fused_op_gradients_with_a_recurrent_dropout_mask():
    rng = np.random.default_rng(3)
    tanh = mlkit.layers.rnn.fused_common.fused_activation(mlkit.activations.tanh)
    mask = (rng.random((2, 3)) > 0.5) * 2.0
    def run(x, h, kernel, recurrent, bias):
        return fused_simple_rnn.simple_rnn_sequence(
            x, h, kernel, recurrent, bias, activation=tanh, recurrent_mask=mask, go_backwards=True
        )

    check_gradients(run, [rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 3)), *random_weights(rng, 2, 3)])


def test_generic_rnn_runs_any_cell_step_by_step():
    """A cell written as in the Keras guide: state_size plus call(inputs, states)."""

    class MinimalCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

    rng = np.random.default_rng(4)
    cell = MinimalCell(3, dtype="float64", name="minimal")
    rnn = layers.RNN(cell, return_sequences=True, dtype="float64", name="rnn")
    x = rng.normal(size=(2, 4, 2))
    outputs = rnn(x)
    assert [w.path for w in rnn.weights] == ["rnn/minimal/kernel", "rnn/minimal/recurrent_kernel"]
    kernel, recurrent = rnn.get_weights()
    expected = keras_simple_rnn_reference(x, kernel, recurrent, 0.0, activation=lambda a: a)
    np.testing.assert_allclose(outputs.numpy(), expected, rtol=1e-12)
    check_gradients(lambda x: rnn(x), [x, *rnn.weights])


def test_a_cell_may_be_any_object_with_state_size_and_call():
    class Accumulator:  # not a Layer: no weights, no training argument
        state_size = 2

        def call(self, inputs, states):
            total = states[0] + inputs
            return total, [total]

    rnn = layers.RNN(Accumulator(), return_sequences=True, go_backwards=True)
    x = np.arange(12, dtype=np.float32).reshape(1, 6, 2)
    np.testing.assert_array_equal(rnn(x).numpy()[0], np.cumsum(x[0, ::-1], axis=0))


def test_rnn_rejects_objects_that_are_not_cells():
    with pytest.raises(ValueError, match="call"):
        layers.RNN(object())
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(3))
    with pytest.raises(NotImplementedError, match="Stack RNN layers"):
        layers.RNN([layers.SimpleRNNCell(2), layers.SimpleRNNCell(2)])


def test_dropout_masks_are_reused_across_steps_and_cleared_after_each_call():
    rng = np.random.default_rng(5)
    weights = random_weights(rng, 3, 4)
    x = rng.normal(size=(3, 5, 3))
    settings = dict(dropout=0.5, recurrent_dropout=0.5, seed=2, dtype="float64")
    rnn = built_rnn(4, 3, weights, return_sequences=True, **settings)
    looped = layers.RNN(layers.SimpleRNNCell(4, **settings), return_sequences=True, dtype="float64")
    looped.build((None, 5, 3))
    looped.set_weights(weights)
    trained = rnn(x, training=True).numpy()
    np.testing.assert_allclose(trained, looped(x, training=True).numpy(), rtol=1e-12)
    assert rnn.cell._dropout_mask is None and rnn.cell._recurrent_dropout_mask is None
    np.testing.assert_allclose(rnn(x).numpy(), keras_simple_rnn_reference(x, *weights), rtol=1e-12)


def test_keras_config_keys_and_round_trip():
    rnn = layers.SimpleRNN(4, activation="relu", recurrent_dropout=0.2, return_state=True, name="rnn")
    config = rnn.get_config()
    assert {"units", "activation", "use_bias", "recurrent_initializer", "dropout", "recurrent_dropout",
            "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "seed"} <= set(config)
    assert "cell" not in config and "recurrent_activation" not in config
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert layers.SimpleRNN.from_config(config).get_config() == config


def test_compute_output_shape_and_rank_errors():
    rnn = layers.SimpleRNN(3, return_sequences=True, return_state=True)
    assert rnn.compute_output_shape((None, 6, 2)) == ((None, 6, 3), (None, 3))
    with pytest.raises(ValueError, match=r"SimpleRNN layer .* expects inputs of shape \(batch, timesteps, features\)"):
        rnn(np.ones((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match="0 time steps"):
        rnn(np.ones((2, 0, 4), np.float32))


@pytest.mark.parametrize(
    "module", [simple_rnn_module, fused_simple_rnn, rnn_module, dropout_rnn_cell, base_cell, rnn_package]
)
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
