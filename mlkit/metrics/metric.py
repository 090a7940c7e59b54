"""`Metric`: a number that summarizes a model's quality, accumulated batch by batch.

A metric keeps running totals in non-trainable variables. `update_state`
adds a batch to them, `result` turns them into the value, `reset_state`
zeroes them (fit does that at the start of every epoch). The result over
several batches equals the result over all of the data at once.

Subclass it like this:

    >>> import mlkit
    >>> from mlkit import metrics, ops
    >>> class CountPositives(metrics.Metric):
    ...     def __init__(self, name="count_positives", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
    ...     def update_state(self, values):
    ...         self.count.assign(self.count + ops.sum(ops.cast(ops.greater(values, 0), self.dtype)))
    ...     def result(self):
    ...         return self.count
    >>> metric = CountPositives()
    >>> metric.update_state([1.0, -2.0, 3.0])
    >>> float(metric([5.0]))          # calling = update_state + result
    3.0
    >>> metric.reset_state()
    >>> float(metric.result())
    0.0

Metrics never add to the autodiff graph: `update_state`, `result` and
`reset_state` run with recording paused, even inside a `GradientTape`.
"""

import functools

import numpy as np

from mlkit.ops.autodiff import is_recording, no_recording
from mlkit.ops.core import standardize_dtype
from mlkit.utils.naming import to_snake_case, unique_name
from mlkit.variable import Variable

_PAUSED_METHODS = ("update_state", "result", "reset_state")


def _without_recording(method):
    """`method`, run with every GradientTape paused."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if not is_recording():  # the usual case in fit: nothing to pause
            return method(*args, **kwargs)
        with no_recording():
            return method(*args, **kwargs)

    wrapper._pauses_recording = True
    return wrapper


class Metric:
    """Base class of metrics: create state in `__init__` with `add_variable`,
    then implement `update_state(...)` and `result()`.

    Args:
        dtype: the dtype of the state and the result (default `backend.floatx()`).
        name: the metric's name, shown in fit's logs (default: the class
            name in snake_case).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for method_name in _PAUSED_METHODS:
            method = cls.__dict__.get(method_name)
            if callable(method) and not getattr(method, "_pauses_recording", False):
                setattr(cls, method_name, _without_recording(method))

    def __init__(self, dtype=None, name=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = standardize_dtype(dtype)
        self._variables = []
        self._metrics = []

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Create a non-trainable state variable of this metric and track it."""
        self._check_super_called()
        variable = Variable(
            initializer=initializer,
            shape=tuple(shape),
            dtype=dtype,
            trainable=False,
            aggregation=aggregation,
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._track(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` (zeros unless an initializer is given)."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name)

    @property
    def variables(self):
        """This metric's state variables, then those of metrics it holds."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state(...).")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Zero every state variable (fit calls this at the start of each epoch)."""
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def __call__(self, *args, **kwargs):
        """Update the state with one batch, then return the result so far."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- tracking: variables and metrics assigned as attributes are state too --
    def __setattr__(self, name, value):
        if isinstance(value, (Variable, Metric)) and "_variables" in self.__dict__:
            self._track(value)
        super().__setattr__(name, value)

    def _track(self, value):
        store = self._variables if isinstance(value, Variable) else self._metrics
        if not any(item is value for item in store):
            store.append(value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: you forgot to call `super().__init__()` in the "
                "`__init__()` method. Call it first, before add_variable()."
            )

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
