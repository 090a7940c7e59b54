"""Tests for mlkit/layers/rnn/lstm.py and its fused op mlkit/layers/rnn/fused_lstm.py.

Keras-trained weights give the same outputs here: `keras_lstm_reference`
below writes Keras's LSTM equations (gate order i, f, c, o; kernel
(features, 4u), recurrent_kernel (u, 4u), bias (4u,)) as a naive NumPy loop,
and the layer, loaded with set_weights, must match it to float64 rounding.
"""

import doctest

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops, regularizers
from mlkit.datasets.synthetic import sequence_task
from mlkit.layers.rnn import fused_common, fused_lstm, lstm as lstm_module
from mlkit.utils.gradient_check import check_gradients


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def keras_lstm_reference(x, kernel, recurrent_kernel, bias, h=None, c=None, go_backwards=False):
    """Outputs of every step (in processing order), final h and final c — Keras's equations."""
    batch, steps, _ = x.shape
    u = recurrent_kernel.shape[0]
    h = np.zeros((batch, u)) if h is None else h
    c = np.zeros((batch, u)) if c is None else c
    outputs = []
    for t in reversed(range(steps)) if go_backwards else range(steps):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i = sigmoid(z[:, :u])
        f = sigmoid(z[:, u : 2 * u])
        g = np.tanh(z[:, 2 * u : 3 * u])
        o = sigmoid(z[:, 3 * u :])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def random_weights(rng, features, units, scale=0.5):
    """Stand-in for weights trained in Keras: any values, in Keras's shapes."""
    return [
        rng.normal(0, scale, (features, 4 * units)),
        rng.normal(0, scale, (units, 4 * units)),
        rng.normal(0, scale, (4 * units,)),
    ]


def built_lstm(units, features, weights=None, **kwargs):
    layer = layers.LSTM(units, **kwargs)
    layer.build((None, 5, features))
    if weights is not None:
        layer.set_weights(weights)
    return layer


# -- weights: names, paths, shapes, order, initial values ------------------------

def test_weights_follow_keras_names_paths_shapes_and_order():
    lstm = built_lstm(3, 5, name="lstm")
    assert [w.path for w in lstm.weights] == [
        "lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias"
    ]
    assert [w.name for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in lstm.weights] == [(5, 12), (3, 12), (12,)]
    assert lstm.cell.name == "lstm_cell" and lstm.count_params() == 5 * 12 + 3 * 12 + 12
    assert len(lstm.trainable_weights) == 3 and lstm.non_trainable_weights == []


def test_unit_forget_bias_starts_the_forget_gate_at_one():
    bias = built_lstm(3, 2).weights[2].numpy()
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert not built_lstm(3, 2, unit_forget_bias=False).weights[2].numpy().any()
    assert len(built_lstm(3, 2, use_bias=False).weights) == 2


def test_recurrent_kernel_is_orthogonal_by_default():
    recurrent = built_lstm(4, 2).weights[1].numpy()  # (4, 16): orthonormal rows
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)


# -- forward: the Keras equations -------------------------------------------------

@pytest.mark.parametrize("go_backwards", [False, True])
def test_outputs_equal_the_keras_equations(go_backwards):
    rng = np.random.default_rng(0)
    weights = random_weights(rng, features=3, units=4)
    x = rng.normal(size=(2, 6, 3))
    h0, c0 = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    lstm = built_lstm(
        4, 3, weights, return_sequences=True, return_state=True, go_backwards=go_backwards, dtype="float64"
    )
    sequence, h, c = lstm(x, initial_state=[h0, c0])
    expected_sequence, expected_h, expected_c = keras_lstm_reference(x, *weights, h0, c0, go_backwards)
    np.testing.assert_allclose(sequence.numpy(), expected_sequence, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h.numpy(), expected_h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c.numpy(), expected_c, rtol=1e-12, atol=1e-14)
    # Without return_sequences the output is the last step's output.
    last = built_lstm(4, 3, weights, go_backwards=go_backwards, dtype="float64")(x, initial_state=[h0, c0])
    np.testing.assert_allclose(last.numpy(), expected_h, rtol=1e-12, atol=1e-14)


def test_float32_by_default_and_close_to_the_equations():
    rng = np.random.default_rng(1)
    weights = random_weights(rng, features=3, units=4)
    x = rng.normal(size=(3, 5, 3)).astype(np.float32)
    out = built_lstm(4, 3, weights)(x)
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), keras_lstm_reference(x.astype(np.float64), *weights)[1], atol=2e-6)


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_fused_op_leaves_the_weights_untouched(order):
    """The fused op works on scaled copies of the weights; the variables must keep their values,
    however their arrays are laid out in memory (an orthogonal initializer's are column-major)."""
    rng = np.random.default_rng(7)
    weights = random_weights(rng, features=3, units=4)
    lstm = built_lstm(4, 3, [np.asarray(w, order=order) for w in weights], dtype="float64")
    for variable in lstm.weights:
        variable.assign(np.asarray(variable.numpy(), order=order))
    x = rng.normal(size=(2, 5, 3))
    with mlkit.GradientTape() as tape:
        first = lstm(x)
    tape.gradient(ops.sum(first), lstm.trainable_weights)
    for variable, expected in zip(lstm.weights, weights):
        np.testing.assert_array_equal(variable.numpy(), expected)
    np.testing.assert_array_equal(lstm(x).numpy(), first.numpy())
    np.testing.assert_allclose(first.numpy(), keras_lstm_reference(x, *weights)[1], rtol=1e-12, atol=1e-14)


def test_the_step_by_step_cell_loop_gives_the_same_numbers():
    """RNN(LSTMCell) runs the cell each step with autodiff ops: a second, independent path."""
    rng = np.random.default_rng(2)
    weights = random_weights(rng, features=3, units=4)
    x = rng.normal(size=(2, 5, 3))
    rnn = layers.RNN(layers.LSTMCell(4, dtype="float64"), return_sequences=True, dtype="float64")
    rnn.build((None, 5, 3))
    rnn.set_weights(weights)
    np.testing.assert_allclose(rnn(x).numpy(), keras_lstm_reference(x, *weights)[0], rtol=1e-12, atol=1e-14)


def test_an_activation_without_a_numpy_twin_falls_back_to_the_cell_loop():
    rng = np.random.default_rng(3)
    weights = random_weights(rng, features=2, units=3)
    x = rng.normal(size=(2, 4, 2))
    fused = built_lstm(3, 2, weights, dtype="float64")
    looped = built_lstm(3, 2, weights, dtype="float64", activation=lambda t: ops.tanh(t))
    assert fused_common.fused_activation(looped.activation) is None
    for default in (layers.LSTM(2), layers.GRU(2)):  # the defaults take the fast path
        assert fused_common.fused_activation(default.activation).name == "tanh"
        assert fused_common.fused_activation(default.recurrent_activation).name == "sigmoid"
    assert fused_common.fused_activation(layers.SimpleRNN(2).activation).name == "tanh"
    np.testing.assert_allclose(looped(x).numpy(), fused(x).numpy(), rtol=1e-12)


def test_other_fused_activations_match_the_cell_loop():
    rng = np.random.default_rng(4)
    weights = random_weights(rng, features=2, units=3)
    x = rng.normal(size=(2, 4, 2))
    for activation, recurrent_activation in [("relu", "hard_sigmoid"), ("linear", "sigmoid")]:
        fused = built_lstm(3, 2, weights, dtype="float64", activation=activation,
                           recurrent_activation=recurrent_activation, return_sequences=True)
        cell = layers.LSTMCell(3, activation=activation, recurrent_activation=recurrent_activation, dtype="float64")
        looped = layers.RNN(cell, return_sequences=True, dtype="float64")
        looped.build((None, 4, 2))
        looped.set_weights(weights)
        np.testing.assert_allclose(fused(x).numpy(), looped(x).numpy(), rtol=1e-10, atol=1e-12)


# -- gradients ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "return_sequences, return_state, go_backwards",
    [(False, False, False), (True, False, False), (False, True, False), (True, True, True), (False, False, True)],
)
def test_gradients_match_finite_differences(return_sequences, return_state, go_backwards):
    rng = np.random.default_rng(5)
    lstm = built_lstm(
        2, 3, random_weights(rng, features=3, units=2), dtype="float64",
        return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
    )
    x, h0, c0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    check_gradients(lambda x, h, c: lstm(x, initial_state=[h, c]), [x, h0, c0, *lstm.weights])


def test_gradients_match_finite_differences_when_the_loss_reads_only_some_steps():
    # Steps whose output gradient is all zeros are skipped in the backward
    # loop; the steps before, between and after the read ones must still be right.
    rng = np.random.default_rng(8)
    lstm = built_lstm(2, 3, random_weights(rng, features=3, units=2), dtype="float64", return_sequences=True)
    x = rng.normal(size=(2, 5, 3))
    check_gradients(lambda x: lstm(x)[:, 1] * 2.0 + lstm(x)[:, 3], [x, *lstm.weights])


def test_gradients_of_the_cell_loop_match_finite_differences():
    rng = np.random.default_rng(6)
    rnn = layers.RNN(layers.LSTMCell(2, dtype="float64"), return_sequences=True, return_state=True, dtype="float64")
    rnn.build((None, 3, 2))
    rnn.set_weights(random_weights(rng, features=2, units=2))
    check_gradients(lambda x: rnn(x), [rng.normal(size=(2, 3, 2)), *rnn.weights])


@pytest.mark.parametrize(
    "settings",
    [dict(use_bias=False), dict(activation="relu", recurrent_activation="hard_sigmoid", go_backwards=True)],
)
def test_gradients_equal_the_cell_loops_without_bias_and_with_other_activations(settings):
    """The fused op has a path of its own for sigmoid and tanh; the others, and a layer
    without bias, must give the gradients autodiff finds through the cell loop."""
    rng = np.random.default_rng(9)
    fused = built_lstm(3, 2, dtype="float64", return_sequences=True, **settings)
    cell_settings = {name: value for name, value in settings.items() if name != "go_backwards"}
    looped = layers.RNN(layers.LSTMCell(3, dtype="float64", **cell_settings), return_sequences=True,
                        go_backwards=settings.get("go_backwards", False), dtype="float64")
    looped.build((None, 5, 2))
    looped.set_weights(fused.get_weights())
    x, h0, c0 = (ops.convert_to_tensor(rng.normal(size=shape)) for shape in [(4, 5, 2), (4, 3), (4, 3)])

    def gradients(layer):
        with mlkit.GradientTape() as tape:
            tape.watch([x, h0, c0])
            loss = ops.sum(ops.square(layer(x, initial_state=[h0, c0])))
        return tape.gradient(loss, [x, h0, c0, *layer.trainable_weights])

    for got, expected in zip(gradients(fused), gradients(looped)):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_with_a_recurrent_dropout_mask_match_finite_differences():
    rng = np.random.default_rng(7)
    kernel, recurrent, bias = random_weights(rng, features=3, units=2)
    mask = (rng.random((2, 2)) > 0.4) / 0.6
    tanh = fused_common.fused_activation(mlkit.activations.tanh)
    sigmoid_twin = fused_common.fused_activation(mlkit.activations.sigmoid)

    def run(x, h, c, kernel, recurrent, bias):
        return fused_lstm.lstm_sequence(x, h, c, kernel, recurrent, bias, activation=tanh,
                                        recurrent_activation=sigmoid_twin, recurrent_mask=mask)

    x, h0, c0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    check_gradients(run, [x, h0, c0, kernel, recurrent, bias])


def test_weights_trained_as_part_of_a_model_get_gradients_only_through_the_output():
    lstm = built_lstm(3, 2)
    with mlkit.GradientTape() as tape:
        loss = ops.sum(lstm(np.ones((2, 4, 2), np.float32)))
    grads = tape.gradient(loss, lstm.trainable_weights)
    assert all(g is not None and g.shape == w.shape for g, w in zip(grads, lstm.trainable_weights))


# -- dropout -----------------------------------------------------------------------

def test_dropout_applies_only_in_training_and_matches_the_cell_loop():
    rng = np.random.default_rng(8)
    weights = random_weights(rng, features=3, units=4)
    x = rng.normal(size=(4, 5, 3))
    settings = dict(dropout=0.4, recurrent_dropout=0.3, seed=11, dtype="float64")
    lstm = built_lstm(4, 3, weights, return_sequences=True, **settings)
    looped = layers.RNN(layers.LSTMCell(4, **settings), return_sequences=True, dtype="float64")
    looped.build((None, 5, 3))
    looped.set_weights(weights)

    np.testing.assert_allclose(lstm(x).numpy(), keras_lstm_reference(x, *weights)[0], rtol=1e-12)
    trained = lstm(x, training=True).numpy()
    assert not np.allclose(trained, keras_lstm_reference(x, *weights)[0])
    # Same seed, same masks: the fused op and the cell loop drop the same units.
    np.testing.assert_allclose(trained, looped(x, training=True).numpy(), rtol=1e-12)
    assert not np.allclose(lstm(x, training=True).numpy(), trained)  # a new mask for each call


# -- shapes, configs, errors ---------------------------------------------------------

def test_compute_output_shape():
    assert layers.LSTM(3).compute_output_shape((None, 7, 5)) == (None, 3)
    assert layers.LSTM(3, return_sequences=True).compute_output_shape((None, 7, 5)) == (None, 7, 3)
    assert layers.LSTM(3, return_state=True).compute_output_shape((8, None, 5)) == ((8, 3), (8, 3), (8, 3))


KERAS_LSTM_CONFIG_KEYS = {
    "name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
    "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "seed",
}


def test_config_has_keras_keys_and_round_trips():
    lstm = layers.LSTM(
        5, activation="relu", recurrent_activation="hard_sigmoid", unit_forget_bias=False, dropout=0.25,
        kernel_regularizer=regularizers.L2(0.01), return_sequences=True, go_backwards=True, seed=3, name="encoder",
    )
    config = lstm.get_config()
    assert set(config) == KERAS_LSTM_CONFIG_KEYS
    assert (config["units"], config["activation"], config["recurrent_activation"]) == (5, "relu", "hard_sigmoid")
    assert (config["unit_forget_bias"], config["dropout"], config["go_backwards"]) == (False, 0.25, True)
    assert config["seed"] == 3
    clone = layers.LSTM.from_config(config)
    assert clone.get_config() == config

    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    lstm(x)
    clone(x)
    clone.set_weights(lstm.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), lstm(x).numpy())


def test_generic_rnn_config_round_trips_with_its_cell():
    rnn = layers.RNN(layers.LSTMCell(3, recurrent_dropout=0.1), return_state=True)
    config = rnn.get_config()
    assert config["cell"]["class_name"] == "LSTMCell"
    clone = layers.RNN.from_config(config)
    assert isinstance(clone.cell, layers.LSTMCell) and clone.cell.recurrent_dropout == 0.1
    assert clone.get_config() == config


def test_layer_attributes_show_the_cell_settings():
    lstm = layers.LSTM(6, recurrent_dropout=0.2, unit_forget_bias=False)
    assert (lstm.units, lstm.recurrent_dropout, lstm.unit_forget_bias) == (6, 0.2, False)
    assert lstm.activation is mlkit.activations.tanh and lstm.recurrent_activation is mlkit.activations.sigmoid
    assert lstm.cell.state_size == [6, 6]


def test_regularizer_losses_come_from_the_cell_weights():
    lstm = built_lstm(2, 3, kernel_regularizer=regularizers.L2(0.1), recurrent_regularizer=regularizers.L1(0.2))
    kernel, recurrent = lstm.weights[0].numpy(), lstm.weights[1].numpy()
    expected = sorted([0.1 * np.sum(kernel**2), 0.2 * np.sum(np.abs(recurrent))])
    np.testing.assert_allclose(sorted(float(loss) for loss in lstm.losses), expected, rtol=1e-5)


def test_wrong_input_rank_names_the_layer_and_the_expected_shape():
    lstm = layers.LSTM(3, name="encoder")
    expected = r"LSTM layer 'encoder' expects inputs of shape \(batch, timesteps, features\)"
    with pytest.raises(ValueError, match=expected):
        lstm(np.ones((4, 8), np.float32))
    with pytest.raises(ValueError, match=r"x\[None\]"):
        lstm(np.ones((4, 8), np.float32))
    lstm(np.ones((2, 5, 8), np.float32))
    with pytest.raises(ValueError, match="encoder"):
        lstm(np.ones((2, 5, 7), np.float32))  # built for 8 features


def test_bad_arguments_get_clear_errors():
    with pytest.raises(NotImplementedError, match="stateful=True is not supported.*initial_state"):
        layers.LSTM(3, stateful=True)
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(3, use_cudnn="yes")
    lstm = layers.LSTM(3)
    with pytest.raises(ValueError, match=r"list of 2 tensor\(s\)"):
        lstm(np.ones((2, 4, 1), np.float32), initial_state=[np.zeros((2, 3), np.float32)])
    with pytest.raises(ValueError, match=r"shape \(batch, units\) = \(2, 3\)"):
        lstm(np.ones((2, 4, 1), np.float32), initial_state=[np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 4\)"):
        lstm(np.ones((2, 4, 1), np.float32), mask=np.ones((2, 3), bool))


# -- it learns -------------------------------------------------------------------------

def test_lstm_learns_the_order_of_two_markers():
    """sequence_task: label 1 iff marker A comes before marker B — it needs memory."""
    x, y = sequence_task(n_samples=2000, seed=0)
    x_test, y_test = sequence_task(n_samples=500, seed=1)
    mlkit.random.set_global_seed(0)
    lstm, head = layers.LSTM(16), layers.Dense(1, activation="sigmoid")
    optimizer = mlkit.optimizers.Adam(learning_rate=0.01)
    rng = np.random.default_rng(0)
    for epoch in range(3):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 64):
            batch = order[start : start + 64]
            targets = y[batch].astype(np.float32)[:, None]
            with mlkit.GradientTape() as tape:
                p = ops.clip(head(lstm(x[batch])), 1e-7, 1 - 1e-7)
                loss = -ops.mean(targets * ops.log(p) + (1 - targets) * ops.log(1 - p))
            variables = lstm.trainable_weights + head.trainable_weights
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    accuracy = np.mean((head(lstm(x_test)).numpy()[:, 0] > 0.5) == y_test)
    assert accuracy >= 0.9, accuracy


@pytest.mark.parametrize("module", [lstm_module, fused_lstm, fused_common])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("flag", ["return_sequences", "return_state", "go_backwards"])
def test_recurrent_flags_must_be_booleans(flag):
    # return_sequences="no" is a non-empty string, so it used to count as True.
    with pytest.raises(TypeError) as caught:
        layers.LSTM(4, name="careless", **{flag: "no"})
    assert f"LSTM 'careless': `{flag}` must be True or False, got {flag}='no'" in str(caught.value)
