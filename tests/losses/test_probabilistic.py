"""Tests for mlkit/losses/probabilistic.py: the cross-entropy functions and classes."""

import doctest
import warnings

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.losses import probabilistic
from mlkit.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from mlkit.utils.gradient_check import check_gradients

EPS = 1e-7


def numpy_log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def numpy_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=-1)


# -- numbers from the Keras documentation ---------------------------------------
def test_keras_documented_values():
    y_true, y_pred = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    np.testing.assert_allclose(categorical_crossentropy(y_true, y_pred).numpy(), [0.0513, 2.3026], atol=1e-4)
    assert float(CategoricalCrossentropy()(y_true, y_pred)) == pytest.approx(1.1769, abs=1e-4)
    assert float(CategoricalCrossentropy()(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))) == pytest.approx(
        0.8136, abs=1e-4
    )
    assert float(SparseCategoricalCrossentropy(reduction="sum")([1, 2], y_pred)) == pytest.approx(2.3539, abs=1e-4)
    logits_true, logits = np.array([[0, 1], [0, 0]]), np.array([[-18.6, 0.51], [2.94, -12.8]])
    assert float(BinaryCrossentropy(from_logits=True)(logits_true, logits)) == pytest.approx(0.8654, abs=1e-4)
    weighted = BinaryCrossentropy(from_logits=True)(logits_true, logits, sample_weight=[0.8, 0.2])
    assert float(weighted) == pytest.approx(0.2436, abs=1e-4)
    np.testing.assert_allclose(
        binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).numpy(), [0.9163, 0.7136], atol=1e-4
    )


# -- binary -----------------------------------------------------------------------
def test_binary_against_numpy(rng):
    t = rng.integers(0, 2, size=(5, 3)).astype("float64")
    p = rng.uniform(0.01, 0.99, size=(5, 3))
    np.testing.assert_allclose(binary_crossentropy(t, p).numpy(), numpy_bce(t, p), rtol=1e-12)
    z = rng.normal(scale=2, size=(5, 3))
    expected = numpy_bce(t, 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(binary_crossentropy(t, z, from_logits=True).numpy(), expected, rtol=1e-9)


def test_binary_label_smoothing_squeezes_labels_towards_one_half(rng):
    t = np.array([[1.0, 0.0]])
    p = np.array([[0.7, 0.2]])
    smoothed = np.array([[0.9, 0.1]])  # smoothing 0.2: 1 -> 0.9, 0 -> 0.1
    np.testing.assert_allclose(binary_crossentropy(t, p, label_smoothing=0.2).numpy(), numpy_bce(smoothed, p))


def test_binary_axis_chooses_the_averaged_axis(rng):
    t = rng.integers(0, 2, size=(2, 3)).astype("float64")
    p = rng.uniform(0.1, 0.9, size=(2, 3))
    elementwise = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(binary_crossentropy(t, p, axis=0).numpy(), elementwise.mean(axis=0))


def test_binary_accepts_flat_labels_against_a_column_of_outputs():
    got = binary_crossentropy(np.array([1.0, 0.0]), np.array([[0.8], [0.4]])).numpy()
    np.testing.assert_allclose(got, [-np.log(0.8), -np.log(0.6)], rtol=1e-6)


def test_binary_mismatched_shapes_are_explained():
    with pytest.raises(ValueError, match="binary_crossentropy: y_true has shape"):
        binary_crossentropy(np.zeros((4, 2)), np.zeros((4, 3)))


# -- categorical ------------------------------------------------------------------
def test_categorical_against_numpy(rng, one_hot, probabilities):
    t = one_hot(6, 4)
    p = probabilities((6, 4))
    np.testing.assert_allclose(categorical_crossentropy(t, p).numpy(), -np.log((t * p).sum(-1)), rtol=1e-12)
    z = rng.normal(scale=3, size=(6, 4))
    np.testing.assert_allclose(
        categorical_crossentropy(t, z, from_logits=True).numpy(), -(t * numpy_log_softmax(z)).sum(-1), rtol=1e-12
    )


def test_categorical_label_smoothing_mixes_in_the_uniform_distribution():
    t = np.array([[0.0, 1.0, 0.0, 0.0]])
    p = np.array([[0.1, 0.6, 0.2, 0.1]])
    smoothed = t * 0.8 + 0.2 / 4  # [0.05, 0.85, 0.05, 0.05]
    got = categorical_crossentropy(t, p, label_smoothing=0.2).numpy()
    np.testing.assert_allclose(got, -(smoothed * np.log(p)).sum(-1))


def test_categorical_with_one_output_warns_like_keras():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1)))


def test_categorical_with_integer_labels_suggests_the_sparse_loss():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        categorical_crossentropy(np.array([0, 2]), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="must be an int"):
        categorical_crossentropy(np.eye(2), np.eye(2), axis=True)


# -- sparse -----------------------------------------------------------------------
@pytest.mark.parametrize("label_shape", [(5,), (5, 1)])
def test_sparse_against_numpy(rng, probabilities, label_shape):
    labels = rng.integers(0, 3, size=5)
    p = probabilities((5, 3))
    expected = -np.log(p[np.arange(5), labels])
    np.testing.assert_allclose(sparse_categorical_crossentropy(labels.reshape(label_shape), p).numpy(), expected)
    z = rng.normal(size=(5, 3))
    expected_logits = -numpy_log_softmax(z)[np.arange(5), labels]
    got = sparse_categorical_crossentropy(labels.reshape(label_shape), z, from_logits=True).numpy()
    np.testing.assert_allclose(got, expected_logits, rtol=1e-12)


def test_sparse_labels_may_be_floats_holding_whole_numbers(rng):
    z = rng.normal(size=(3, 4))
    as_ints = sparse_categorical_crossentropy(np.array([0, 3, 1]), z, from_logits=True).numpy()
    as_floats = sparse_categorical_crossentropy(np.array([0.0, 3.0, 1.0]), z, from_logits=True).numpy()
    np.testing.assert_array_equal(as_ints, as_floats)


def test_sparse_axis_moves_the_class_axis(rng):
    z = rng.normal(size=(4, 2, 3))  # classes on axis 1
    labels = rng.integers(0, 2, size=(4, 3))
    expected = sparse_categorical_crossentropy(labels, np.moveaxis(z, 1, -1), from_logits=True).numpy()
    np.testing.assert_allclose(sparse_categorical_crossentropy(labels, z, from_logits=True, axis=1).numpy(), expected)


def test_sparse_ignore_class_zeroes_and_excludes_those_samples(rng):
    z = rng.normal(size=(4, 3))
    labels = np.array([0, -1, 2, -1])
    values = sparse_categorical_crossentropy(labels, z, from_logits=True, ignore_class=-1).numpy()
    full = -numpy_log_softmax(z)[np.arange(4), [0, 0, 2, 0]]
    np.testing.assert_allclose(values, [full[0], 0.0, full[2], 0.0], rtol=1e-12)
    loss = SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, dtype="float64")
    assert float(loss(labels, z)) == pytest.approx((full[0] + full[2]) / 2)  # mean over the 2 counted samples
    assert float(loss(labels, z, sample_weight=[1.0, 5.0, 3.0, 5.0])) == pytest.approx((full[0] + 3 * full[2]) / 2)
    summed = SparseCategoricalCrossentropy(True, -1, reduction="sum", dtype="float64")
    assert float(summed(labels, z)) == pytest.approx(full[0] + full[2])


def test_sparse_ignored_samples_get_no_gradient(rng):
    z = ops.convert_to_tensor(rng.normal(size=(3, 3)))
    with GradientTape() as tape:
        tape.watch(z)
        loss = SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, dtype="float64")([1, 255, 0], z)
    grad = tape.gradient(loss, z).numpy()
    np.testing.assert_array_equal(grad[1], np.zeros(3))
    assert np.all(grad[[0, 2]] != 0)


def test_sparse_bad_labels_are_explained():
    p = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"class id 3 .* 3 classes"):
        sparse_categorical_crossentropy(np.array([0, 3]), p)
    with pytest.raises(ValueError, match="class id -1"):
        sparse_categorical_crossentropy(np.array([0, -1]), p)
    with pytest.raises(ValueError, match="one-hot"):
        sparse_categorical_crossentropy(np.eye(3)[[0, 1]], p)


# -- gradients of the public functions and classes ---------------------------------
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_binary_and_categorical_gradient_checks(rng, one_hot, probabilities, from_logits, label_smoothing):
    t = one_hot(4, 3)
    y = rng.normal(size=(4, 3)) if from_logits else probabilities((4, 3))
    check_gradients(lambda pred: categorical_crossentropy(t, pred, from_logits, label_smoothing), [y])
    check_gradients(lambda pred: binary_crossentropy(t, pred, from_logits, label_smoothing), [y])


@pytest.mark.parametrize("cls", [BinaryCrossentropy, CategoricalCrossentropy])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", None])
def test_class_gradient_checks_with_weights_and_reductions(rng, one_hot, cls, reduction):
    t, z = one_hot(4, 3), rng.normal(size=(4, 3))
    loss = cls(from_logits=True, reduction=reduction, dtype="float64")
    check_gradients(lambda pred: loss(t, pred, sample_weight=np.array([0.5, 1.0, 2.0, 0.0])), [z])


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_class_gradient_check(rng, probabilities, from_logits):
    labels = rng.integers(0, 4, size=6)
    y = rng.normal(size=(6, 4)) if from_logits else probabilities((6, 4))
    loss = SparseCategoricalCrossentropy(from_logits=from_logits, dtype="float64")
    check_gradients(lambda pred: loss(labels, pred, sample_weight=np.linspace(0.1, 1.0, 6)), [y])


def test_class_values_match_weighted_numpy_formula(rng):
    labels = rng.integers(0, 5, size=8)
    z = rng.normal(size=(8, 5))
    weights = rng.uniform(0, 2, size=8)
    per_sample = -numpy_log_softmax(z)[np.arange(8), labels]
    loss = SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    assert float(loss(labels, z, sample_weight=weights)) == pytest.approx((per_sample * weights).sum() / 8)
    scce_sum = SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight", dtype="float64")
    expected = (per_sample * weights).sum() / weights.sum()
    assert float(scce_sum(labels, z, sample_weight=weights)) == pytest.approx(expected)
    cce = CategoricalCrossentropy(from_logits=True, reduction=None, dtype="float64")
    np.testing.assert_allclose(cce(np.eye(5)[labels], z, sample_weight=weights).numpy(), per_sample * weights)


def test_extreme_logits_through_the_classes_stay_finite():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype="float32")
    # Row 0 is a confident mistake (2000 nats for the softmax losses; two BCE
    # terms of 1000 each, averaged over 4 entries), row 1 is confidently right.
    for loss, y, expected in [
        (SparseCategoricalCrossentropy(from_logits=True), np.array([1, 1]), 1000.0),
        (CategoricalCrossentropy(from_logits=True), np.eye(2)[[1, 1]], 1000.0),
        (BinaryCrossentropy(from_logits=True), np.eye(2)[[1, 1]], 500.0),
    ]:
        tensor = ops.convert_to_tensor(z)
        with GradientTape() as tape:
            tape.watch(tensor)
            value = loss(y, tensor)
        grad = tape.gradient(value, tensor).numpy()
        assert np.isfinite(float(value)) and np.all(np.isfinite(grad))
        assert float(value) == pytest.approx(expected)


def test_probability_outputs_of_exactly_zero_and_one_stay_finite():
    p = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    for loss, y in [
        (SparseCategoricalCrossentropy(), np.array([1, 1])),
        (CategoricalCrossentropy(), np.eye(2)[[1, 1]]),
        (BinaryCrossentropy(), np.eye(2)[[1, 1]]),
    ]:
        tensor = ops.convert_to_tensor(p)
        with GradientTape() as tape:
            tape.watch(tensor)
            value = loss(y, tensor)
        assert np.isfinite(float(value)) and np.all(np.isfinite(tape.gradient(value, tensor).numpy()))


@pytest.mark.parametrize(
    "loss, expected",
    [
        (
            BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1),
            {
                "name": "binary_crossentropy",
                "reduction": "sum_over_batch_size",
                "from_logits": True,
                "label_smoothing": 0.1,
                "axis": -1,
            },
        ),
        (
            CategoricalCrossentropy(label_smoothing=0.2, reduction="sum", name="cce"),
            {"name": "cce", "reduction": "sum", "from_logits": False, "label_smoothing": 0.2, "axis": -1},
        ),
        (
            SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
            {
                "name": "sparse_categorical_crossentropy",
                "reduction": "sum_over_batch_size",
                "from_logits": True,
                "ignore_class": -1,
            },
        ),
    ],
)
def test_config_round_trip(loss, expected):
    assert loss.get_config() == expected
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == expected


def test_doctests():
    with warnings.catch_warnings():
        result = doctest.testmod(probabilistic)
    assert result.attempted > 0 and result.failed == 0


BAD_SETTINGS = {
    "from_logits as a string": (lambda: BinaryCrossentropy(from_logits="no"), TypeError,
                                ["BinaryCrossentropy: `from_logits` must be True or False, got from_logits='no'"]),
    "from_logits as a string, categorical": (lambda: CategoricalCrossentropy(from_logits="False"), TypeError,
                                             ["CategoricalCrossentropy: `from_logits`", "even 'False', counts as true"]),
    "from_logits as a string, sparse": (lambda: SparseCategoricalCrossentropy(from_logits="True"), TypeError,
                                        ["SparseCategoricalCrossentropy: `from_logits`"]),
    "label smoothing above 1": (lambda: CategoricalCrossentropy(label_smoothing=1.5), ValueError,
                                ["`label_smoothing` must be a number between 0 and 1, got label_smoothing=1.5"]),
    "label smoothing in quotes": (lambda: BinaryCrossentropy(label_smoothing="0.1"), TypeError,
                                  ["`label_smoothing` must be a number, got label_smoothing='0.1'"]),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_settings_are_refused_when_the_loss_is_made(case):
    action, error_type, parts = BAD_SETTINGS[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)


# -- the built-in sparse loss computes its usual mean as one node -----------------
def _recorded_loss(loss, labels, y, **kwargs):
    """(value, gradient, number of recorded nodes) of `loss(labels, y)`."""
    x = ops.convert_to_tensor(y)
    with GradientTape() as tape:
        tape.watch(x)
        value = loss(labels, x, **kwargs)
        nodes = len(tape._recorded())
    return value.numpy(), tape.gradient(value, x).numpy(), nodes


def _two_node_loss(from_logits, **arguments):
    """The same loss through the path without the fused mean (a subclass with its own call())."""

    class TwoNodes(SparseCategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return super().call(y_true, y_pred)

    return TwoNodes(from_logits=from_logits, **arguments)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("make_loss", [SparseCategoricalCrossentropy, None])
def test_sparse_loss_mean_is_one_node_with_the_same_numbers(rng, probabilities, from_logits, make_loss):
    from mlkit.losses import LossFunctionWrapper

    labels = rng.integers(0, 4, size=8)
    y = (rng.normal(size=(8, 4)) if from_logits else probabilities((8, 4))).astype("float32")
    if make_loss is None:  # compile(loss="sparse_categorical_crossentropy") wraps the function
        loss = LossFunctionWrapper(sparse_categorical_crossentropy, from_logits=from_logits)
    else:
        loss = make_loss(from_logits=from_logits)
    value, grad, nodes = _recorded_loss(loss, labels, y)
    expected_value, expected_grad, expected_nodes = _recorded_loss(_two_node_loss(from_logits), labels, y)
    assert (nodes, expected_nodes) == (1, 2)
    np.testing.assert_array_equal(value, expected_value)
    np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize(
    "arguments, labels, call_arguments",
    [
        ({"ignore_class": 3}, np.array([0, 3, 1, 2]), {}),  # ignored samples leave the mean
        ({}, np.array([[0], [3], [1], [2]]), {}),  # labels with a trailing axis of 1
        ({}, np.array([0.0, 3.0, 1.0, 2.0]), {}),  # float labels
        ({}, np.array([0, 3, 1, 2]), {"sample_weight": np.array([1.0, 0.0, 2.0, 1.0])}),
        ({"reduction": "sum"}, np.array([0, 3, 1, 2]), {}),
    ],
)
def test_sparse_loss_cases_the_one_node_mean_leaves_to_the_usual_path(rng, arguments, labels, call_arguments):
    y = rng.normal(size=(4, 4)).astype("float32")
    loss = SparseCategoricalCrossentropy(from_logits=True, **arguments)
    value, grad, nodes = _recorded_loss(loss, labels, y, **call_arguments)
    expected_value, expected_grad, _ = _recorded_loss(_two_node_loss(True, **arguments), labels, y, **call_arguments)
    assert nodes > 1
    np.testing.assert_allclose(value, expected_value, rtol=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)


def test_sparse_loss_one_node_mean_still_explains_bad_labels():
    with pytest.raises(ValueError, match=r"class id 4 .* 4 classes"):
        SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 4]), ops.convert_to_tensor(np.zeros((2, 4), "float32")))


def test_sparse_loss_hands_numpy_integer_labels_to_its_function_as_they_are():
    # Keras would cast them to floats and back; the built-in class skips that copy.
    seen = []
    loss = SparseCategoricalCrossentropy(from_logits=True)
    original = loss.fn
    loss.fn = lambda y_true, y_pred, **arguments: (seen.append(y_true), original(y_true, y_pred, **arguments))[1]
    labels = np.array([0, 2, 1])
    value = loss(labels, ops.convert_to_tensor(np.zeros((3, 3), "float32")))
    assert seen[0] is labels
    assert float(value) == pytest.approx(np.log(3))
