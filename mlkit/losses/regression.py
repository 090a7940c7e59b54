"""Regression losses: mean squared error, mean absolute error, Huber.

Each comes twice, as in Keras: a function returning one value per sample (the
mean over the last axis), and a `Loss` class that also applies sample weights
and the reduction.

    >>> from mlkit import losses
    >>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]
    >>> losses.mean_squared_error(y_true, y_pred).numpy().tolist()
    [0.5, 0.5]
    >>> float(losses.MeanSquaredError()(y_true, y_pred))
    0.5
"""

import numpy as np

from mlkit import ops
from mlkit.losses.loss import BuiltinLoss
from mlkit.losses.reduction import as_tensor, squeeze_or_expand_to_same_rank
from mlkit.utils.arguments import check_number


def prepare_pair(function_name, y_true, y_pred):
    """Tensors of y_pred's dtype, ranks matched, shapes checked to broadcast."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.data.dtype.kind != "f":
        y_pred = ops.cast(y_pred, None)
    y_true = as_tensor(y_true, y_pred.data.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    try:
        broadcast = np.broadcast_shapes(y_true.shape, y_pred.shape)
    except ValueError:
        broadcast = None
    if broadcast != y_pred.shape:
        # Also when y_pred would be stretched to y_true's shape: (batch, 1) predictions
        # against (batch, 4) targets compare one output with four targets.
        raise ValueError(
            f"{function_name}: y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}; they must have the same shape (one target per prediction). "
            "Give the last layer one unit per target value."
        )
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)^2) over the last axis."""
    y_true, y_pred = prepare_pair("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = prepare_pair("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for small errors, linear for large ones, averaged over the last axis.

    For an error e: 0.5 * e^2 where |e| <= delta, else delta * |e| - 0.5 * delta^2.
    """
    y_true, y_pred = prepare_pair("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


# mlkit extension: Keras 3 knows these short names only as strings for losses.get().
mse = mean_squared_error
mae = mean_absolute_error


class MeanSquaredError(BuiltinLoss):
    """The mean of squared errors: `mean(square(y_true - y_pred))`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(BuiltinLoss):
    """The mean of absolute errors: `mean(abs(y_true - y_pred))`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class Huber(BuiltinLoss):
    """The Huber loss: squared error below `delta`, absolute error above it.

    Less sensitive to outliers than the squared error, smooth unlike the
    absolute error. Its config also holds `delta`, so it survives saving.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        check_number(
            "Huber", "delta", delta, above=0,
            hint="It is the error size where the loss turns from squared to linear, e.g. delta=1.0.",
        )
        super().__init__(huber, reduction, name, dtype, delta=delta)
