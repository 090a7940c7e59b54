"""Embedding (mlkit/layers/core/embedding.py): a learned lookup table.

The forward pass is `table[indices]`; the gradient of the table is
computed here with `np.add.at`, which adds up the gradients of every use of
a row (a repeated index receives the sum).
"""

import json

import numpy as np
import pytest

from mlkit import constraints, ops
from mlkit.layers.core.embedding import Embedding
from mlkit.ops.autodiff import GradientTape
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(23)


def assert_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    return clone


@pytest.mark.parametrize("index_shape", [(5,), (3, 4), (2, 3, 2)])
def test_embedding_looks_up_rows(index_shape):
    layer = Embedding(10, 4)
    indices = RNG.integers(0, 10, size=index_shape)
    out = layer(indices)
    table = layer.embeddings.numpy()
    assert out.shape == index_shape + (4,)
    np.testing.assert_array_equal(out.numpy(), table[indices])
    assert layer.compute_output_shape((None,) + index_shape[1:]) == (None,) + index_shape[1:] + (4,)


def test_embedding_weight_name_shape_and_default_initializer():
    layer = Embedding(input_dim=50, output_dim=8)
    layer(np.array([[1, 2]]))
    assert [w.name for w in layer.weights] == ["embeddings"]
    assert layer.embeddings.path == f"{layer.name}/embeddings"
    assert layer.embeddings.shape == (50, 8) and layer.embeddings.dtype == "float32"
    values = layer.embeddings.numpy()
    assert values.min() >= -0.05 and values.max() <= 0.05 and values.std() > 0.01  # uniform(-0.05, 0.05)
    config = layer.get_config()
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["mask_zero"] is False


def test_embedding_float_and_int64_indices():
    layer = Embedding(6, 3)
    layer.build((None, 2))
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(layer(np.array([[2.0, 5.0]], "float32")).numpy(), table[[[2, 5]]])
    np.testing.assert_array_equal(layer(np.array([[1, 4]], "int64")).numpy(), table[[[1, 4]]])


def test_embedding_gradient_matches_finite_differences():
    layer = Embedding(6, 3, dtype="float64")
    indices = np.array([[0, 2, 2], [5, 2, 0]])  # repeated indices, rows 1, 3 and 4 unused
    layer.build(indices.shape)
    check_gradients(lambda: layer(indices), [layer.embeddings])


def test_embedding_gradient_adds_up_repeated_indices():
    layer = Embedding(5, 2, dtype="float64")
    indices = np.array([[1, 3, 1], [1, 0, 3]])
    layer.build(indices.shape)
    upstream = RNG.normal(size=indices.shape + (2,))
    with GradientTape() as tape:
        loss = ops.sum(layer(indices) * upstream)
    gradient = tape.gradient(loss, layer.embeddings).numpy()
    expected = np.zeros((5, 2))
    np.add.at(expected, indices, upstream)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    assert (gradient[[2, 4]] == 0).all()
    np.testing.assert_allclose(gradient[1], upstream[0, 0] + upstream[0, 2] + upstream[1, 0], rtol=1e-12)


def test_embedding_regularizer_constraint_and_weights_argument():
    table = RNG.normal(size=(4, 2))
    layer = Embedding(4, 2, embeddings_regularizer="l2", embeddings_constraint="non_neg", weights=table)
    assert layer.built
    np.testing.assert_allclose(layer.embeddings.numpy(), table, rtol=1e-6)
    np.testing.assert_allclose(float(layer.losses[0]), 0.01 * np.square(table.astype("float32")).sum(), rtol=1e-5)
    assert isinstance(layer.embeddings.constraint, constraints.NonNeg)
    np.testing.assert_allclose(layer(np.array([[3, 0]])).numpy(), table[[[3, 0]]], rtol=1e-6)


def test_embedding_mask_zero():
    indices = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    assert Embedding(5, 2).compute_mask(indices) is None
    layer = Embedding(5, 2, mask_zero=True)
    assert layer.supports_masking
    np.testing.assert_array_equal(layer.compute_mask(indices).numpy(), indices != 0)


def test_embedding_config_round_trip():
    layer = Embedding(7, 3, embeddings_initializer="ones", embeddings_regularizer="l1", mask_zero=True, name="words")
    clone = assert_config_round_trip(layer)
    assert (clone.input_dim, clone.output_dim, clone.mask_zero, clone.name) == (7, 3, True, "words")
    np.testing.assert_array_equal(clone(np.array([[1, 2]])).numpy(), np.ones((1, 2, 3)))
    expected_keys = {
        "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
        "activity_regularizer", "embeddings_constraint", "mask_zero",
    }
    assert expected_keys <= set(layer.get_config())


def test_embedding_errors_explain_the_fix():
    with pytest.raises(ValueError, match="Embedding 'vocab': input_dim must be a positive integer, got input_dim=0"):
        Embedding(0, 4, name="vocab")
    with pytest.raises(ValueError, match="output_dim must be a positive integer, got output_dim=2.5"):
        Embedding(10, 2.5)
    layer = Embedding(10, 4, name="small_vocab")
    with pytest.raises(ValueError, match=r"Embedding 'small_vocab': every input index must be in 0..9, got indices from 1 to 12"):
        layer(np.array([[1, 12]]))


@pytest.mark.parametrize("indices, low, high", [([[-1, 2]], -1, 2), ([[3, 10]], 3, 10)])
def test_indices_outside_the_vocabulary_are_refused(indices, low, high):
    # NumPy would read -1 as the last row: a silent wrong answer.
    layer = Embedding(10, 4, name="vocab")
    with pytest.raises(ValueError) as caught:
        layer(np.array(indices))
    message = str(caught.value)
    assert f"Embedding 'vocab': every input index must be in 0..9, got indices from {low} to {high}" in message
    assert "never negative" in message
