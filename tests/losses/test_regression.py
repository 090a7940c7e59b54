"""Tests for mlkit/losses/regression.py: MSE, MAE and Huber, functions and classes."""

import doctest

import numpy as np
import pytest

from mlkit.losses import regression
from mlkit.losses.regression import (
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    huber,
    mean_absolute_error,
    mean_squared_error,
)
from mlkit.utils.gradient_check import check_gradients

Y_TRUE = np.array([[0.0, 1.0, 2.0], [3.0, -1.0, 0.5]])
Y_PRED = np.array([[0.5, 1.0, 4.0], [1.0, -0.2, 0.5]])
ERROR = Y_PRED - Y_TRUE  # [[0.5, 0, 2], [-2, 0.8, 0]]


def numpy_huber(error, delta):
    small = np.abs(error) <= delta
    return np.where(small, 0.5 * error**2, delta * np.abs(error) - 0.5 * delta**2).mean(axis=-1)


def test_function_values_against_hand_computed_numbers():
    np.testing.assert_allclose(mean_squared_error(Y_TRUE, Y_PRED).numpy(), [(0.25 + 0 + 4) / 3, (4 + 0.64 + 0) / 3])
    np.testing.assert_allclose(mean_absolute_error(Y_TRUE, Y_PRED).numpy(), [(0.5 + 0 + 2) / 3, (2 + 0.8 + 0) / 3])
    # delta=1: 0.5 -> 0.125; 2 -> 1*2 - 0.5 = 1.5; 0.8 -> 0.32.
    np.testing.assert_allclose(huber(Y_TRUE, Y_PRED).numpy(), [(0.125 + 0 + 1.5) / 3, (1.5 + 0.32 + 0) / 3])


@pytest.mark.parametrize("delta", [0.3, 1.0, 5.0])
def test_huber_against_numpy_for_several_deltas(rng, delta):
    y_true, y_pred = rng.normal(size=(5, 4)), rng.normal(scale=2, size=(5, 4))
    np.testing.assert_allclose(huber(y_true, y_pred, delta=delta).numpy(), numpy_huber(y_pred - y_true, delta))


def test_keras_documented_huber_value():
    # keras.losses.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) averages to 0.155
    values = huber(np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]]))
    assert float(values.numpy().mean()) == pytest.approx(0.155, abs=1e-6)


@pytest.mark.parametrize("function", [mean_squared_error, mean_absolute_error, huber])
def test_functions_gradient_check(function):
    check_gradients(lambda pred: function(Y_TRUE, pred), [Y_PRED + 0.01])  # clear of |error| = 0 and 1


@pytest.mark.parametrize("cls", [MeanSquaredError, MeanAbsoluteError, Huber])
def test_classes_gradient_check_with_sample_weights(cls):
    loss = cls(dtype="float64")
    weights = np.array([0.25, 2.0])
    check_gradients(lambda pred: loss(Y_TRUE, pred, sample_weight=weights), [Y_PRED + 0.01])


def test_classes_reduce_like_keras():
    weights = np.array([0.5, 2.0])
    per_sample = ((ERROR**2).mean(axis=-1))
    assert float(MeanSquaredError()(Y_TRUE, Y_PRED)) == pytest.approx(per_sample.mean(), rel=1e-6)
    assert float(MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=weights)) == pytest.approx(
        (per_sample * weights).sum() / 2, rel=1e-6
    )
    assert float(MeanSquaredError(reduction="sum")(Y_TRUE, Y_PRED)) == pytest.approx(per_sample.sum(), rel=1e-6)
    unreduced = MeanAbsoluteError(reduction=None)(Y_TRUE, Y_PRED).numpy()
    np.testing.assert_allclose(unreduced, np.abs(ERROR).mean(-1), rtol=1e-6)
    assert float(Huber(delta=0.5)(Y_TRUE, Y_PRED)) == pytest.approx(numpy_huber(ERROR, 0.5).mean(), rel=1e-6)


def test_column_targets_against_flat_targets():
    # y_true of shape (batch,) and y_pred of shape (batch, 1) are one target per prediction.
    got = mean_squared_error(np.array([1.0, 2.0]), np.array([[0.0], [0.0]])).numpy()
    np.testing.assert_allclose(got, [1.0, 4.0])


def test_incompatible_shapes_are_explained():
    with pytest.raises(ValueError, match="mean_squared_error: y_true has shape"):
        mean_squared_error(np.zeros((4, 3)), np.zeros((4, 2)))


@pytest.mark.parametrize(
    "loss, expected",
    [
        (MeanSquaredError(), {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}),
        (MeanAbsoluteError(name="l1", reduction="sum"), {"name": "l1", "reduction": "sum"}),
        (Huber(delta=2.5, reduction=None), {"name": "huber_loss", "reduction": None, "delta": 2.5}),
    ],
)
def test_config_round_trip(loss, expected):
    assert loss.get_config() == expected
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == expected
    assert float(clone(Y_TRUE, Y_PRED).numpy().sum()) == pytest.approx(float(loss(Y_TRUE, Y_PRED).numpy().sum()))


def test_doctests():
    result = doctest.testmod(regression)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("loss", [MeanSquaredError(), MeanAbsoluteError(), Huber()])
def test_predictions_narrower_than_the_targets_are_refused_not_broadcast(loss):
    # One output against four targets would be stretched to four equal predictions.
    with pytest.raises(ValueError) as caught:
        loss(np.ones((8, 4)), np.ones((8, 1)))
    message = str(caught.value)
    assert "y_true has shape (8, 4) but y_pred has shape (8, 1)" in message
    assert "one unit per target value" in message


def test_one_target_column_still_broadcasts_against_its_predictions():
    value = MeanSquaredError()(np.array([[1.0], [3.0]]), np.array([[1.0, 1.0], [1.0, 1.0]]))
    assert float(value) == pytest.approx((0 + 0 + 4 + 4) / 4)


@pytest.mark.parametrize("delta, error_type", [(-1.0, ValueError), (0, ValueError), ("1", TypeError)])
def test_huber_delta_must_be_a_positive_number(delta, error_type):
    # A negative delta used to give negative losses without a word.
    with pytest.raises(error_type) as caught:
        Huber(delta=delta)
    assert "Huber: `delta` must be a number" in str(caught.value)
