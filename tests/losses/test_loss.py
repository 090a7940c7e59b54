"""Tests for mlkit/losses/loss.py: the `Loss` base class and `LossFunctionWrapper`."""

import doctest

import numpy as np
import pytest

from mlkit import GradientTape, ops, saving
from mlkit.losses import loss as loss_module
from mlkit.losses.loss import Loss, LossFunctionWrapper
from mlkit.utils.gradient_check import check_gradients


class CustomLoss(Loss):
    """The seed article's custom loss: MSE plus a penalty on large predictions."""

    def __init__(self, regularization_factor=0.1, **kwargs):
        super().__init__(**kwargs)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse_loss = ops.mean(ops.square(y_true - y_pred))
        reg_loss = ops.sum(self.regularization_factor * ops.abs(y_pred))
        return mse_loss + reg_loss

    def get_config(self):
        return {**super().get_config(), "regularization_factor": self.regularization_factor}


class PerSampleAbsolute(Loss):
    def call(self, y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def test_seed_custom_loss_value():
    y_true = np.array([[1.0], [2.0]])
    y_pred = np.array([[1.5], [1.0]])
    expected = np.mean((y_true - y_pred) ** 2) + 0.1 * np.abs(y_pred).sum()
    assert float(CustomLoss()(y_true, y_pred)) == pytest.approx(expected)


def test_seed_custom_loss_trains_by_gradient():
    w = ops.convert_to_tensor(np.array([[2.0]]))
    loss = CustomLoss(regularization_factor=0.0)
    x, y = np.array([[1.0], [2.0]]), np.array([[1.0], [2.0]])
    for _ in range(50):
        with GradientTape() as tape:
            tape.watch(w)
            value = loss(y, ops.matmul(x, w))
        w = ops.convert_to_tensor(w.numpy() - 0.1 * tape.gradient(value, w).numpy())
    assert w.numpy()[0, 0] == pytest.approx(1.0, abs=1e-3)


def test_default_names_are_snake_case_and_unique():
    first, second = PerSampleAbsolute(), PerSampleAbsolute()
    assert first.name.startswith("per_sample_absolute")
    assert first.name != second.name
    assert PerSampleAbsolute(name="l1").name == "l1"


def test_call_is_weighted_and_reduced():
    loss = PerSampleAbsolute()
    y_true, y_pred = np.zeros((3, 2)), np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 4.0]])  # per sample 2, 2, 2
    assert float(loss(y_true, y_pred, sample_weight=[1.0, 2.0, 0.0])) == pytest.approx((2 + 4 + 0) / 3)
    none = PerSampleAbsolute(reduction=None)(y_true, y_pred, sample_weight=[1.0, 2.0, 0.0])
    np.testing.assert_allclose(none.numpy(), [2.0, 4.0, 0.0])


def test_inputs_are_converted_to_the_loss_dtype():
    assert PerSampleAbsolute()(np.zeros((2, 1)), np.ones((2, 1))).dtype == "float32"
    assert PerSampleAbsolute(dtype="float64")(np.zeros((2, 1)), np.ones((2, 1), "float32")).dtype == "float64"


def test_gradient_of_a_subclassed_loss_with_weights():
    y_true = np.array([[0.5, -1.0], [2.0, 0.3]])
    weights = np.array([0.7, 1.3])
    loss = PerSampleAbsolute(dtype="float64")
    check_gradients(lambda pred: loss(y_true, pred, sample_weight=weights), [np.array([[1.0, 0.5], [-1.0, 2.0]])])


def test_missing_call_and_missing_super_init_are_explained():
    with pytest.raises(NotImplementedError, match="call"):
        Loss()(np.zeros(2), np.zeros(2))

    class Forgetful(Loss):
        def __init__(self):
            pass

        def call(self, y_true, y_pred):
            return y_pred

    with pytest.raises(RuntimeError, match="super"):
        Forgetful()(np.zeros(2), np.zeros(2))


def test_config_round_trip_of_a_subclass():
    loss = CustomLoss(regularization_factor=0.3, name="custom", reduction="sum")
    config = loss.get_config()
    assert config == {"name": "custom", "reduction": "sum", "regularization_factor": 0.3}
    clone = CustomLoss.from_config(config)
    assert (clone.name, clone.reduction, clone.regularization_factor) == ("custom", "sum", 0.3)


def squared_error_times(y_true, y_pred, factor=1.0):
    return factor * ops.mean(ops.square(y_true - y_pred), axis=-1)


def test_function_wrapper_passes_kwargs_and_matches_ranks():
    loss = LossFunctionWrapper(squared_error_times, factor=2.0, name="twice")
    # y_true (batch,) against y_pred (batch, 1): ranks are matched first.
    assert float(loss(np.array([1.0, 2.0]), np.array([[0.0], [0.0]]))) == pytest.approx(2 * (1 + 4) / 2)


def test_function_wrapper_config_round_trip_with_a_custom_function():
    loss = LossFunctionWrapper(squared_error_times, factor=3.0, name="thrice", reduction="sum")
    config = loss.get_config()
    assert config == {"name": "thrice", "reduction": "sum", "fn": "squared_error_times", "factor": 3.0}
    with pytest.raises(ValueError, match="custom_objects"):
        LossFunctionWrapper.from_config(config)
    with saving.custom_object_scope({"squared_error_times": squared_error_times}):
        clone = LossFunctionWrapper.from_config(config)
    assert clone.fn is squared_error_times and clone._fn_kwargs == {"factor": 3.0}
    assert float(clone(np.zeros((1, 1)), np.ones((1, 1)))) == pytest.approx(3.0)


def test_function_wrapper_config_round_trip_with_a_builtin_function():
    from mlkit import losses

    loss = LossFunctionWrapper(losses.mean_absolute_error, name="mae")
    clone = LossFunctionWrapper.from_config(loss.get_config())
    assert clone.fn is losses.mean_absolute_error and clone.name == "mae"


def test_doctests():
    result = doctest.testmod(loss_module)
    assert result.attempted > 0 and result.failed == 0
