"""Regression metrics: mean squared error, mean absolute error, root mean squared error.

    >>> from mlkit import metrics
    >>> metric = metrics.RootMeanSquaredError()
    >>> float(metric([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]))   # sqrt(mean([1, 0, 0, 0]))
    0.5
"""

import numpy as np

from mlkit.losses.reduction import squeeze_or_expand_to_same_rank
from mlkit.losses.regression import mean_absolute_error, mean_squared_error
from mlkit.metrics.reduction_metrics import Mean, MeanMetricWrapper, as_array
from mlkit.ops.tensor import Tensor


class MeanSquaredError(MeanMetricWrapper):
    """The mean of (y_true - y_pred)^2 over everything seen."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of |y_true - y_pred| over everything seen."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """sqrt of the mean squared error over everything seen (not the mean of batch RMSEs)."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = as_array(y_true, self.dtype)
        y_pred = as_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return Tensor(np.sqrt(super().result().data))
