"""Tests for mlkit/losses/reduction.py: sample weights, masks and reductions."""

import numpy as np
import pytest

from mlkit import ops
from mlkit.backend.masking import get_keras_mask, set_keras_mask
from mlkit.losses.reduction import (
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)

VALUES = np.array([1.0, 2.0, 3.0, 6.0])
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0])


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("sum_over_batch_size", (1 + 1 + 0 + 12) / 4),  # weights never change the divisor
        ("mean", (1 + 1 + 0 + 12) / 4),
        ("sum", 1 + 1 + 0 + 12),
        ("mean_with_sample_weight", (1 + 1 + 0 + 12) / 3.5),
    ],
)
def test_weighted_reductions(reduction, expected):
    got = reduce_weighted_values(VALUES, sample_weight=WEIGHTS, reduction=reduction)
    assert got.shape == () and float(got) == pytest.approx(expected)


@pytest.mark.parametrize("reduction", [None, "none"])
def test_no_reduction_returns_weighted_values(reduction):
    got = reduce_weighted_values(VALUES, sample_weight=WEIGHTS, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), VALUES * WEIGHTS)


def test_unweighted_reductions():
    assert float(reduce_weighted_values(VALUES)) == pytest.approx(3.0)
    assert float(reduce_weighted_values(VALUES, reduction="mean_with_sample_weight")) == pytest.approx(3.0)
    assert float(reduce_weighted_values(VALUES, reduction="sum")) == pytest.approx(12.0)


def test_all_zero_weights_give_zero_not_nan():
    got = reduce_weighted_values(VALUES, sample_weight=np.zeros(4), reduction="mean_with_sample_weight")
    assert float(got) == 0.0


def test_scalar_values_are_returned_as_they_are():
    assert float(reduce_weighted_values(np.array(5.0))) == 5.0


def test_sample_weight_of_shape_batch_by_one_is_squeezed():
    got = reduce_weighted_values(VALUES, sample_weight=WEIGHTS[:, None])
    assert float(got) == pytest.approx(14 / 4)


def test_per_sample_weights_scale_every_step_of_a_sample():
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # (batch=2, steps=3)
    got = reduce_weighted_values(values, sample_weight=np.array([1.0, 0.0]), reduction="sum")
    assert float(got) == pytest.approx(6.0)


def test_mismatched_sample_weight_gives_a_clear_error():
    with pytest.raises(ValueError, match="sample_weight of shape"):
        reduce_weighted_values(VALUES, sample_weight=np.ones(3))


def test_mask_averages_over_valid_values_only():
    mask = np.array([True, True, False, True])
    assert float(reduce_weighted_values(VALUES, mask=mask)) == pytest.approx((1 + 2 + 6) / 3)
    assert float(reduce_weighted_values(VALUES, mask=mask, reduction="sum")) == pytest.approx(9.0)
    weighted = reduce_weighted_values(VALUES, sample_weight=WEIGHTS, mask=mask)
    assert float(weighted) == pytest.approx((1 + 1 + 12) / 3)


def test_reduction_keeps_gradients():
    from mlkit import GradientTape

    x = ops.convert_to_tensor(VALUES)
    with GradientTape() as tape:
        tape.watch(x)
        loss = reduce_weighted_values(x, sample_weight=WEIGHTS)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), WEIGHTS / 4)


def test_loss_masks_follow_their_tensor():
    values = ops.convert_to_tensor(VALUES)
    mask = np.array([True, False, True, True])
    assert set_keras_mask(values, mask) is values
    assert get_keras_mask(values) is mask
    assert get_keras_mask(ops.convert_to_tensor(VALUES)) is None


def test_standardize_reduction_rejects_unknown_names():
    assert standardize_reduction(None) is None
    with pytest.raises(ValueError, match="Keras 2"):
        standardize_reduction("auto")
    with pytest.raises(ValueError, match="sum_over_batch_size"):
        standardize_reduction("average")


@pytest.mark.parametrize(
    "shapes, expected",
    [
        (((4, 1), (4,)), ((4, 1), (4, 1))),
        (((4,), (4, 1)), ((4, 1), (4, 1))),
        (((4, 3, 1), (4, 3)), ((4, 3), (4, 3))),
        (((4, 3), (4,)), ((4, 3), (4,))),
    ],
)
def test_squeeze_or_expand_to_same_rank(shapes, expected):
    a, b = squeeze_or_expand_to_same_rank(np.zeros(shapes[0]), ops.zeros(shapes[1]))
    assert (a.shape, tuple(b.shape)) == expected
