"""The logs a training step returns: metric values, read when someone looks.

A step of `fit` returns its metrics' values (Keras's `train_step` returns a
dict of them). Computing those values costs a little at every step, yet in
most steps nobody reads them: `MetricsLogs` reads the metrics only on first
access. `pythonify_logs` turns any step's logs into plain floats.

    >>> import mlkit
    >>> model = mlkit.Sequential([mlkit.Input(shape=(1,)), mlkit.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> logs = MetricsLogs(model)       # nothing is read yet
    >>> sorted(logs)                     # now the metrics are read
    ['loss']
"""

from collections.abc import MutableMapping

import numpy as np


def _python_value(value):
    value = np.asarray(getattr(value, "data", value))
    return float(value) if value.size == 1 else value


class MetricsLogs(MutableMapping):
    """The metric values of a step, read from the metrics on first access.

    Behaves like the dict Keras returns from train_step (callbacks may read
    and add entries). Reading happens before the next step changes the
    metrics (the fit loop hands these logs to the callbacks right away), so
    every reader sees the same snapshot; a step whose logs nobody reads does
    not pay for computing them.
    """

    def __init__(self, model):
        self._model = model
        self._values = None

    def _read(self):
        if self._values is None:
            self._values = self._model.get_metrics_result()
        return self._values

    def __getitem__(self, name):
        return self._read()[name]

    def __setitem__(self, name, value):
        self._read()[name] = value

    def __delitem__(self, name):
        del self._read()[name]

    def __iter__(self):
        return iter(self._read())

    def __len__(self):
        return len(self._read())

    def __repr__(self):
        return repr(self._read())


def pythonify_logs(logs):
    """Logs as plain floats, with nested dicts (from compile_metrics) flattened."""
    result = {}
    for name, value in (logs or {}).items():
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[name] = _python_value(value)
    return result
