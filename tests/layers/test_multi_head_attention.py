"""mlkit/layers/attention: MultiHeadAttention against a naive NumPy reference, gradients, masks, config."""

import inspect

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(0)


def naive_attention(query, value, weights, num_heads, mask=None):
    """Multi-head attention written out head by head and step by step, in float64 NumPy."""
    qk, qb, kk, kb, vk, vb, ok, ob = weights
    batch, steps, _ = query.shape
    output = np.zeros((batch, steps, ok.shape[-1]))
    all_scores = np.zeros((batch, num_heads, steps, value.shape[1]))
    for b in range(batch):
        for h in range(num_heads):
            q = (query[b] @ qk[:, h] + qb[h]) / np.sqrt(qk.shape[-1])
            k = value[b] @ kk[:, h] + kb[h]
            v = value[b] @ vk[:, h] + vb[h]
            scores = q @ k.T
            if mask is not None:
                scores = np.where(mask[b], scores, -1e9)
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores /= scores.sum(axis=1, keepdims=True)
            if mask is not None:
                scores = scores * mask[b]  # a step that may attend to nothing gets zeros
            all_scores[b, h] = scores
            output[b] += (scores @ v) @ ok[h]
    return output + ob, all_scores


def test_signature_and_config_follow_keras():
    parameters = list(inspect.signature(layers.MultiHeadAttention.__init__).parameters)[1:]
    assert parameters == [
        "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes",
        "sliding_window", "flash_attention", "kernel_initializer", "bias_initializer",
        "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
        "bias_constraint", "use_gate", "seed", "kwargs",
    ]
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    config = attention.get_config()
    assert list(config) == [
        "name", "trainable", "dtype", "num_heads", "key_dim", "value_dim", "dropout", "use_bias",
        "use_gate", "output_shape", "attention_axes", "sliding_window", "kernel_initializer",
        "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint", "seed",
    ]
    assert (config["value_dim"], config["dropout"], config["output_shape"]) == (3, 0.0, None)
    clone = layers.MultiHeadAttention.from_config(config)
    assert clone.get_config() == config


def test_weights_shapes_and_order_are_keras():
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6, name="mha")
    attention(np.ones((1, 5, 8), np.float32), np.ones((1, 7, 10), np.float32))
    assert [(w.path, w.shape) for w in attention.weights] == [
        ("mha/query/kernel", (8, 2, 3)), ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (10, 2, 3)), ("mha/key/bias", (2, 3)),
        ("mha/value/kernel", (10, 2, 4)), ("mha/value/bias", (2, 4)),
        ("mha/attention_output/kernel", (2, 4, 6)), ("mha/attention_output/bias", (6,)),
    ]


@pytest.mark.parametrize("with_mask", [False, True])
def test_matches_the_naive_reference(with_mask):
    attention = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=2, dtype="float64",
                                          bias_initializer="random_normal")
    query, value = RNG.normal(size=(2, 5, 6)), RNG.normal(size=(2, 4, 7))
    mask = RNG.random((2, 5, 4)) > 0.3 if with_mask else None
    output, scores = attention(query, value, attention_mask=mask, return_attention_scores=True)
    expected, expected_scores = naive_attention(query, value, attention.get_weights(), 3, mask)
    np.testing.assert_allclose(ops.convert_to_numpy(output), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.convert_to_numpy(scores), expected_scores, rtol=1e-10, atol=1e-12)


def test_gradients_match_finite_differences():
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=3, dtype="float64",
                                          bias_initializer="random_normal")
    query, value = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
    attention(query, value)
    check_gradients(lambda q, v: attention(q, v), [query, value] + attention.weights)


def test_causal_and_padding_masks():
    attention = layers.MultiHeadAttention(num_heads=1, key_dim=2)
    x = RNG.normal(size=(1, 4, 3)).astype("float32")
    _, scores = attention(x, x, use_causal_mask=True, return_attention_scores=True)
    scores = ops.convert_to_numpy(scores)[0, 0]
    assert np.allclose(np.triu(scores, 1), 0) and np.allclose(scores.sum(axis=1), 1)
    tokens = np.array([[5, 2, 0, 0]])
    embedded = layers.Embedding(10, 3, mask_zero=True)(tokens)
    output, scores = attention(embedded, embedded, return_attention_scores=True)
    assert np.allclose(ops.convert_to_numpy(scores)[0, 0, :, 2:], 0)  # nobody attends to padding
    np.testing.assert_array_equal(ops.convert_to_numpy(output._keras_mask), tokens != 0)


def test_learns_to_copy_the_step_a_query_points_at():
    """Each sequence holds 4 random vectors; the query says which one to return."""
    mlkit.utils.set_random_seed(0)
    count, steps, width = 512, 4, 6
    values = RNG.normal(size=(count, steps, width)).astype("float32")
    target_step = RNG.integers(0, steps, size=count)
    query = np.eye(steps, dtype="float32")[target_step][:, None, :]  # (count, 1, steps)
    positions = np.broadcast_to(np.eye(steps, dtype="float32"), (count, steps, steps))
    values_with_positions = np.concatenate([values, positions], axis=-1)

    class Pointer(mlkit.Model):
        def __init__(self):
            super().__init__()
            self.attention = layers.MultiHeadAttention(num_heads=1, key_dim=8, output_shape=width)

        def call(self, inputs):
            query, value = inputs
            return ops.squeeze(self.attention(query, value), axis=1)

    model = Pointer()
    model.compile(optimizer=mlkit.optimizers.Adam(0.01), loss="mse")
    expected = values[np.arange(count), target_step]
    history = model.fit([query, values_with_positions], expected, epochs=40, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(NotImplementedError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="needs a `value`"):
        layers.MultiHeadAttention(2, 2)(np.ones((1, 2, 3)))


def test_docstring_examples():
    import doctest

    from mlkit.layers.attention import head_projection, multi_head_attention

    assert doctest.testmod(multi_head_attention).failed == 0
    assert doctest.testmod(head_projection).failed == 0
