"""`Sum`, `Mean` and `MeanMetricWrapper`: running totals of per-sample values.

`Mean` keeps a weighted `total` and a `count`; its result is total / count.
Values with several entries per sample (shape (batch, steps)) are first
averaged per sample, so every sample weighs the same unless `sample_weight`
says otherwise. `MeanMetricWrapper` turns any function
`fn(y_true, y_pred) -> per-sample values` into a streaming metric.

    >>> from mlkit import metrics
    >>> mean = metrics.Mean()
    >>> mean.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    >>> float(mean.result())
    2.0

The state is updated with NumPy on the values (no autodiff graph is built).
"""

import numpy as np

from mlkit.backend.masking import get_keras_mask
from mlkit.losses.reduction import apply_mask, squeeze_or_expand_to_same_rank
from mlkit.metrics.metric import Metric
from mlkit.ops.tensor import Tensor


def as_array(x, dtype=None):
    """The NumPy value of a tensor, array, list or number."""
    return np.asarray(getattr(x, "data", x), dtype=dtype)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, metric=None):
    """Weight `values` and reduce them to one value per sample, as Keras does.

    Returns (values, sample_weight) as NumPy arrays, each with at most one axis.
    `metric` (the caller) is named in the error for values that are not numbers.
    """
    mask = get_keras_mask(values)
    try:
        values = as_array(values, dtype)
    except (TypeError, ValueError) as error:
        owner = "metric" if metric is None else f"{type(metric).__name__} {metric.name!r}"
        raise TypeError(
            f"{owner}: update_state() takes numbers (a number, an array or a tensor), got "
            f"{values!r} (of type {type(values).__name__}): {error}. Pass the values to average, "
            "e.g. update_state([0.5, 0.25])."
        ) from None
    if mask is not None:
        sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {sample_weight.shape} does not match values of shape "
                f"{values.shape}; pass one weight per sample."
            ) from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen: state `total`."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype, self)
        self.total.assign(self.total.data + values.sum())

    def result(self):
        return Tensor(np.array(self.total.data))


class Mean(Metric):
    """The (weighted) mean of all values seen: states `total` and `count`."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        array = values.data if isinstance(values, Tensor) else values
        if isinstance(array, (int, float)):
            array = np.asarray(array)
        if isinstance(array, (np.ndarray, np.generic)) and get_keras_mask(values) is None:
            if array.ndim == 0 and (sample_weight is None or isinstance(sample_weight, (int, float))):
                # The common case of a loss tracker: one number, weighted by the batch size.
                self._add_weighted_number(array, 1.0 if sample_weight is None else sample_weight)
                return
            if sample_weight is None and self._are_sample_values(array):
                # The common case of a metric in fit(): one unweighted value per sample.
                self._add_sample_values(array)
                return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean, self.dtype, self)
        if sample_weight is not None:
            count = sample_weight.sum()
        else:
            count = values.shape[0] if values.ndim else 1
        self.total.assign(self.total.data + values.sum())
        self.count.assign(self.count.data + count)

    def _add_weighted_number(self, value, weight):
        """Add one number `value` (0-d array) counted `weight` times (a Python number)."""
        self.total._value = self.total._value + as_array(value, self.dtype) * weight
        self.count._value = self.count._value + np.asarray(weight, dtype=self.dtype)

    def _are_sample_values(self, values):
        """Whether `values` is what `_add_sample_values` takes: a 1-D array in the metric's dtype."""
        return isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype == self.dtype

    def _add_sample_values(self, values):
        """Add one unweighted value per sample (a 1-D array in the metric's dtype)."""
        self.total._value = self.total._value + values.sum()
        self.count._value = self.count._value + np.asarray(len(values), dtype=self.dtype)

    def result(self):
        count = self.count.data
        value = self.total.data / count if count else np.zeros((), dtype=self.count.dtype)
        return Tensor(np.asarray(value, dtype=self.dtype))


class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred, **kwargs)`, a function of per-sample values.

        >>> import numpy as np
        >>> def squared_error(y_true, y_pred):
        ...     return (np.asarray(y_true) - np.asarray(y_pred)) ** 2
        >>> metric = MeanMetricWrapper(fn=squared_error, name="squared_error")
        >>> float(metric([0.0, 0.0], [1.0, 3.0]))
        5.0
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        # Callbacks with mode="auto" read the direction: a wrapped loss should go down.
        from mlkit import losses

        if fn in losses.ALL_OBJECTS or type(fn) in losses.ALL_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from mlkit.saving import serialize_keras_object

        config = {**super().get_config(), "fn": serialize_keras_object(self._fn)}
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _function_from_config(config["fn"])
        return cls(**config)


def _function_from_config(fn):
    """The metric function a config names: a built-in or a registered/custom one."""
    if callable(fn):
        return fn
    from mlkit import metrics
    from mlkit.saving import deserialize_keras_object, get_registered_object

    if isinstance(fn, dict):
        return deserialize_keras_object(fn, module_objects=metrics.FUNCTIONS)
    found = get_registered_object(fn, module_objects=metrics.FUNCTIONS)
    if found is None:
        raise ValueError(
            f"Unknown metric function {fn!r} in the config. If it is your own function, pass it "
            f"when loading: custom_objects={{{fn!r}: {fn}}}."
        )
    return found
