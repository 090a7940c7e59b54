"""Tests for mlkit/layers/rnn/gru.py and its fused op mlkit/layers/rnn/fused_gru.py.

`keras_gru_reference` writes Keras's GRU equations (gate order z, r, h; both
reset_after conventions) as a naive NumPy loop; the layer loaded with the
same weights must match it.
"""

import doctest

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops
from mlkit.layers.rnn import fused_common, fused_gru, gru as gru_module
from mlkit.utils.gradient_check import check_gradients


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def keras_gru_reference(x, kernel, recurrent_kernel, bias, reset_after, h=None, go_backwards=False):
    """Outputs of every step (in processing order) — Keras's GRU equations."""
    batch, steps, _ = x.shape
    u = recurrent_kernel.shape[0]
    h = np.zeros((batch, u)) if h is None else h
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    outputs = []
    for t in reversed(range(steps)) if go_backwards else range(steps):
        from_input = x[:, t] @ kernel + input_bias
        z = sigmoid(from_input[:, :u] + h @ recurrent_kernel[:, :u] + recurrent_bias[:u])
        r = sigmoid(from_input[:, u : 2 * u] + h @ recurrent_kernel[:, u : 2 * u] + recurrent_bias[u : 2 * u])
        if reset_after:
            from_state = h @ recurrent_kernel[:, 2 * u :] + recurrent_bias[2 * u :]
            candidate = np.tanh(from_input[:, 2 * u :] + r * from_state)
        else:
            candidate = np.tanh(from_input[:, 2 * u :] + (r * h) @ recurrent_kernel[:, 2 * u :])
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1)


def random_weights(rng, features, units, reset_after, scale=0.5):
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    return [
        rng.normal(0, scale, (features, 3 * units)),
        rng.normal(0, scale, (units, 3 * units)),
        rng.normal(0, scale, bias_shape),
    ]


def built_gru(units, features, weights=None, **kwargs):
    layer = layers.GRU(units, **kwargs)
    layer.build((None, 4, features))
    if weights is not None:
        layer.set_weights(weights)
    return layer


@pytest.mark.parametrize("reset_after, bias_shape", [(True, (2, 9)), (False, (9,))])
def test_weights_follow_keras_names_paths_and_shapes(reset_after, bias_shape):
    gru = built_gru(3, 2, reset_after=reset_after, name="gru")
    assert [(w.path, w.shape) for w in gru.weights] == [
        ("gru/gru_cell/kernel", (2, 9)),
        ("gru/gru_cell/recurrent_kernel", (3, 9)),
        ("gru/gru_cell/bias", bias_shape),
    ]
    assert layers.GRU(3).reset_after is True  # Keras 3's default


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_outputs_equal_the_keras_equations(reset_after, go_backwards):
    rng = np.random.default_rng(0)
    weights = random_weights(rng, 3, 4, reset_after)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    gru = built_gru(4, 3, weights, reset_after=reset_after, return_sequences=True, return_state=True,
                    go_backwards=go_backwards, dtype="float64")
    sequence, state = gru(x, initial_state=[h0])
    expected = keras_gru_reference(x, *weights, reset_after, h0, go_backwards)
    np.testing.assert_allclose(sequence.numpy(), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state.numpy(), expected[:, -1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reset_after", [True, False])
def test_the_step_by_step_cell_loop_gives_the_same_numbers(reset_after):
    rng = np.random.default_rng(1)
    weights = random_weights(rng, 3, 4, reset_after)
    x = rng.normal(size=(2, 5, 3))
    cell = layers.GRUCell(4, reset_after=reset_after, dtype="float64")
    rnn = layers.RNN(cell, return_sequences=True, dtype="float64")
    rnn.build((None, 5, 3))
    rnn.set_weights(weights)
    np.testing.assert_allclose(rnn(x).numpy(), keras_gru_reference(x, *weights, reset_after), rtol=1e-12, atol=1e-14)
    check_gradients(lambda x: rnn(x), [x[:, :3], *rnn.weights])


@pytest.mark.parametrize(
    "reset_after, return_sequences, go_backwards",
    [(True, False, False), (True, True, True), (False, False, False), (False, True, True)],
)
def test_gradients_match_finite_differences(reset_after, return_sequences, go_backwards):
    rng = np.random.default_rng(2)
    gru = built_gru(2, 3, random_weights(rng, 3, 2, reset_after), dtype="float64", reset_after=reset_after,
                    return_sequences=return_sequences, return_state=True, go_backwards=go_backwards)
    x, h0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 2))
    check_gradients(lambda x, h: gru(x, initial_state=[h]), [x, h0, *gru.weights])


@pytest.mark.parametrize("reset_after", [True, False])
def test_gradients_match_finite_differences_when_the_loss_reads_only_some_steps(reset_after):
    # Steps whose output gradient is all zeros are skipped in the backward loop.
    rng = np.random.default_rng(9)
    gru = built_gru(2, 3, random_weights(rng, 3, 2, reset_after), dtype="float64", reset_after=reset_after,
                    return_sequences=True)
    x = rng.normal(size=(2, 5, 3))
    check_gradients(lambda x: gru(x)[:, 1] * 2.0 + gru(x)[:, 3], [x, *gru.weights])


@pytest.mark.parametrize("reset_after", [True, False])
def test_gradients_without_bias(reset_after):
    rng = np.random.default_rng(3)
    weights = random_weights(rng, 3, 2, reset_after)[:2]
    gru = built_gru(2, 3, weights, dtype="float64", reset_after=reset_after, use_bias=False)
    check_gradients(lambda x: gru(x), [rng.normal(size=(2, 4, 3)), *gru.weights])


@pytest.mark.parametrize("reset_after", [True, False])
def test_fused_op_gradients_with_a_recurrent_dropout_mask(reset_after):
    rng = np.random.default_rng(4)
    twin = fused_common.fused_activation
    mask = (rng.random((2, 2)) > 0.4) / 0.6

    def run(x, h, kernel, recurrent, bias):
        return fused_gru.gru_sequence(x, h, kernel, recurrent, bias, reset_after=reset_after,
                                      activation=twin(mlkit.activations.tanh),
                                      recurrent_activation=twin(mlkit.activations.sigmoid), recurrent_mask=mask)

    check_gradients(run, [rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 2)), *random_weights(rng, 3, 2, reset_after)])


@pytest.mark.parametrize("reset_after", [True, False])
def test_dropout_in_training_matches_the_cell_loop(reset_after):
    rng = np.random.default_rng(5)
    weights = random_weights(rng, 3, 4, reset_after)
    x = rng.normal(size=(4, 5, 3))
    settings = dict(dropout=0.3, recurrent_dropout=0.4, seed=7, reset_after=reset_after, dtype="float64")
    gru = built_gru(4, 3, weights, return_sequences=True, **settings)
    looped = layers.RNN(layers.GRUCell(4, **settings), return_sequences=True, dtype="float64")
    looped.build((None, 5, 3))
    looped.set_weights(weights)
    trained = gru(x, training=True).numpy()
    np.testing.assert_allclose(trained, looped(x, training=True).numpy(), rtol=1e-12)
    assert not np.allclose(trained, gru(x).numpy())
    np.testing.assert_allclose(gru(x).numpy(), keras_gru_reference(x, *weights, reset_after), rtol=1e-12)


def test_keras_config_keys_and_round_trip():
    gru = layers.GRU(
        4, reset_after=False, recurrent_activation="hard_sigmoid", dropout=0.1, seed=1, return_sequences=True
    )
    config = gru.get_config()
    assert {
        "units", "activation", "recurrent_activation", "reset_after", "dropout", "recurrent_dropout", "seed",
        "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
    } <= set(config)
    assert "cell" not in config and "unit_forget_bias" not in config
    assert (config["reset_after"], config["recurrent_activation"]) == (False, "hard_sigmoid")
    clone = layers.GRU.from_config(config)
    assert clone.get_config() == config and clone.reset_after is False


def test_shapes_and_errors():
    gru = layers.GRU(3, return_state=True, name="gru_encoder")
    assert gru.compute_output_shape((None, 6, 2)) == ((None, 3), (None, 3))
    expected = r"GRU layer 'gru_encoder' expects inputs of shape \(batch, timesteps, features\)"
    with pytest.raises(ValueError, match=expected):
        gru(np.ones((4,), np.float32))
    with pytest.raises(NotImplementedError, match="stateful"):
        layers.GRU(3, stateful=True)


def test_a_gru_trains_its_weights():
    gru = built_gru(3, 2)
    with mlkit.GradientTape() as tape:
        loss = ops.sum(gru(np.ones((2, 4, 2), np.float32)))
    grads = tape.gradient(loss, gru.trainable_weights)
    assert [g.shape for g in grads] == [(2, 9), (3, 9), (2, 9)]
    assert all(np.abs(g.numpy()).sum() > 0 for g in grads)


@pytest.mark.parametrize("module", [gru_module, fused_gru])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
