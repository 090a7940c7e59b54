"""Tests for mlkit/losses/crossentropy_ops.py: the fused cross-entropy nodes.

Each hand-written backward rule is checked against finite differences, for
y_pred and (where it is differentiable) y_true; values against NumPy
formulas; extreme inputs must give finite values and exact gradients.
"""

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.losses import crossentropy_ops
from mlkit.utils.gradient_check import check_gradients

EPS = 1e-7


def gradient_of(function, value):
    """d sum(function(x)) / dx at `value`, by backprop."""
    x = ops.convert_to_tensor(np.asarray(value, dtype="float64"))
    with GradientTape() as tape:
        tape.watch(x)
        out = ops.sum(function(x))
    return out.numpy(), tape.gradient(out, x).numpy()


# -- binary -------------------------------------------------------------------
def test_binary_from_probabilities_matches_clipped_formula(rng):
    t = rng.integers(0, 2, size=(4, 3)).astype("float64")
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    got = crossentropy_ops.binary_crossentropy_elementwise(t, p).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_binary_from_logits_matches_sigmoid_formula(rng):
    t = rng.uniform(0, 1, size=(3, 5))
    z = rng.normal(scale=3, size=(3, 5))
    sigmoid = 1 / (1 + np.exp(-z))
    expected = -(t * np.log(sigmoid) + (1 - t) * np.log(1 - sigmoid))
    got = crossentropy_ops.binary_crossentropy_elementwise(t, z, from_logits=True).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_gradients_match_finite_differences(rng, from_logits):
    t = rng.uniform(0.1, 0.9, size=(3, 4))
    y = rng.normal(size=(3, 4)) if from_logits else rng.uniform(0.05, 0.95, size=(3, 4))
    def loss(target, pred):
        return crossentropy_ops.binary_crossentropy_elementwise(target, pred, from_logits)

    check_gradients(loss, [t, y])


def test_binary_extreme_logits_are_finite_with_exact_gradients():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    value, grad = gradient_of(lambda x: crossentropy_ops.binary_crossentropy_elementwise(t, x, True), z)
    assert value == pytest.approx(2000.0)  # two confident mistakes cost |z| each
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0, -1.0])  # sigmoid(z) - t


def test_binary_probabilities_of_exactly_zero_and_one_are_clipped():
    p = np.array([0.0, 1.0, 1.0, 0.0])
    t = np.array([0.0, 1.0, 0.0, 1.0])
    value, grad = gradient_of(lambda x: crossentropy_ops.binary_crossentropy_elementwise(t, x), p)
    assert np.isfinite(value)
    assert value == pytest.approx(-2 * np.log(EPS) - 2 * np.log(1 - EPS), rel=1e-6)
    np.testing.assert_array_equal(grad, np.zeros(4))  # the clip is active: no gradient


# -- categorical ----------------------------------------------------------------
def numpy_categorical(t, y, from_logits, axis=-1):
    if from_logits:
        shifted = y - y.max(axis=axis, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    else:
        log_p = np.log(np.clip(y / y.sum(axis=axis, keepdims=True), EPS, 1 - EPS))
    return -(t * log_p).sum(axis=axis)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_categorical_values_and_gradients(rng, from_logits, axis):
    t = rng.uniform(0, 1, size=(3, 4, 2))  # soft labels: every entry matters
    y = rng.normal(size=(3, 4, 2)) if from_logits else rng.uniform(0.2, 1.0, size=(3, 4, 2))
    got = crossentropy_ops.categorical_crossentropy(t, y, from_logits, axis=axis).numpy()
    np.testing.assert_allclose(got, numpy_categorical(t, y, from_logits, axis), rtol=1e-12)
    def loss(target, pred):
        return crossentropy_ops.categorical_crossentropy(target, pred, from_logits, axis)

    check_gradients(loss, [t, y])


def test_categorical_probabilities_are_normalized_by_their_sum():
    # Unnormalized scores [1, 3] count as probabilities [0.25, 0.75].
    got = crossentropy_ops.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[1.0, 3.0]])).numpy()
    np.testing.assert_allclose(got, [-np.log(0.75)])


def test_categorical_extreme_logits_are_finite_with_exact_gradients():
    z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    value, grad = gradient_of(lambda x: crossentropy_ops.categorical_crossentropy(t, x, True), z)
    assert value == pytest.approx(2000.0)
    np.testing.assert_allclose(grad, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]], atol=1e-300)


def test_categorical_probability_of_zero_for_the_true_class_is_clipped():
    p = np.array([[0.0, 1.0]])
    value, grad = gradient_of(lambda x: crossentropy_ops.categorical_crossentropy(np.array([[1.0, 0.0]]), x), p)
    assert value == pytest.approx(-np.log(EPS))
    assert np.all(np.isfinite(grad))


# -- sparse ---------------------------------------------------------------------
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_equals_categorical_with_one_hot_labels(rng, from_logits):
    labels = rng.integers(0, 5, size=(6,))
    y = rng.normal(size=(6, 5)) if from_logits else rng.uniform(0.2, 1.0, size=(6, 5))
    sparse = crossentropy_ops.sparse_crossentropy(labels, y, from_logits).numpy()
    dense = numpy_categorical(np.eye(5)[labels], y, from_logits)
    np.testing.assert_allclose(sparse, dense, rtol=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_gradients_match_finite_differences(rng, from_logits):
    labels = rng.integers(0, 4, size=(2, 3))  # leading axes beyond the batch work too
    y = rng.normal(size=(2, 3, 4)) if from_logits else rng.uniform(0.2, 1.0, size=(2, 3, 4))
    check_gradients(lambda pred: crossentropy_ops.sparse_crossentropy(labels, pred, from_logits), [y])


def test_sparse_extreme_logits_are_finite_with_exact_gradients():
    z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
    value, grad = gradient_of(lambda x: crossentropy_ops.sparse_crossentropy(np.array([2, 0]), x, True), z)
    assert value == pytest.approx(2000.0)
    np.testing.assert_allclose(grad, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]], atol=1e-300)


def test_sparse_probability_of_exactly_zero_or_one():
    p = np.array([[0.0, 1.0], [0.0, 1.0]])
    value, grad = gradient_of(lambda x: crossentropy_ops.sparse_crossentropy(np.array([0, 1]), x), p)
    assert value == pytest.approx(-np.log(EPS) - np.log(1 - EPS))
    assert np.all(np.isfinite(grad))


def test_no_node_is_recorded_outside_a_tape(rng):
    out = crossentropy_ops.sparse_crossentropy(np.array([0]), ops.convert_to_tensor(rng.normal(size=(1, 3))), True)
    assert out.parents == () and not out.requires_grad


def test_float32_stays_float32(rng):
    z = rng.normal(size=(4, 3)).astype("float32")
    assert crossentropy_ops.sparse_crossentropy(np.array([0, 1, 2, 0]), z, True).dtype == "float32"
    t = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    assert crossentropy_ops.categorical_crossentropy(t, z).dtype == "float32"
    assert crossentropy_ops.binary_crossentropy_elementwise(t, z, True).dtype == "float32"


# -- the mean of the sparse cross-entropy, as one node ----------------------------
def _value_and_gradient(function, y):
    x = ops.convert_to_tensor(y)
    with GradientTape() as tape:
        tape.watch(x)
        out = function(x)
    return out.numpy(), tape.gradient(out, x).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_mean_sparse_equals_the_two_nodes_it_replaces_bit_for_bit(rng, from_logits, dtype):
    labels = rng.integers(0, 5, size=(7,))
    y = (rng.normal(size=(7, 5)) if from_logits else rng.uniform(0.05, 1.0, size=(7, 5))).astype(dtype)
    fused = _value_and_gradient(lambda x: crossentropy_ops.mean_sparse_crossentropy(labels, x, from_logits), y)
    two_nodes = _value_and_gradient(
        lambda x: ops.mean(crossentropy_ops.sparse_crossentropy(labels, x, from_logits)), y
    )
    for got, expected in zip(fused, two_nodes):
        assert got.dtype == expected.dtype == dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("from_logits", [False, True])
def test_mean_sparse_gradients_match_finite_differences(rng, from_logits):
    labels = rng.integers(0, 4, size=(2, 3))
    y = rng.normal(size=(2, 3, 4)) if from_logits else rng.uniform(0.2, 1.0, size=(2, 3, 4))
    check_gradients(lambda pred: crossentropy_ops.mean_sparse_crossentropy(labels, pred, from_logits), [y])


def test_mean_sparse_records_one_node(rng):
    x = ops.convert_to_tensor(rng.normal(size=(3, 4)))
    with GradientTape() as tape:
        tape.watch(x)
        crossentropy_ops.mean_sparse_crossentropy(np.array([0, 3, 1]), x, True)
    assert len(tape._recorded()) == 1
