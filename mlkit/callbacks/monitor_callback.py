"""`MonitorCallback`: the shared logic of callbacks that watch one log value.

`EarlyStopping` and `ModelCheckpoint` watch a quantity such as `"val_loss"`
and ask "is this epoch's value an improvement?". The answer needs a
direction: `mode="min"` (lower is better), `"max"` (higher is better), or
`"auto"`, which decides from the name, as Keras does: `loss` / `val_loss`
go down, and a compiled metric says which way it goes (accuracies up,
errors down). A change smaller than `min_delta` is not an improvement.

    >>> watcher = MonitorCallback(monitor="val_accuracy", mode="max", min_delta=0.01)
    >>> watcher._set_monitor_op()
    >>> watcher._is_improvement(0.905, 0.9), watcher._is_improvement(0.92, 0.9)
    (False, True)
"""

import operator
import warnings

import numpy as np

from mlkit.callbacks.callback import Callback
from mlkit.utils.arguments import check_number

MODES = ("auto", "min", "max")


def checked_monitor(monitor, callback_name):
    """`monitor`, which must name a log entry such as "val_loss"."""
    if not isinstance(monitor, str):
        raise TypeError(
            f"{callback_name}: `monitor` must be the name of a logged value, such as 'val_loss' or "
            f"'accuracy', got monitor={monitor!r} (of type {type(monitor).__name__})."
        )
    return monitor


def checked_mode(mode, callback_name):
    """`mode`, or "auto" (with a warning) when it is not one of MODES."""
    if mode not in MODES:
        warnings.warn(
            f"{callback_name} mode {mode!r} is unknown (expected 'auto', 'min' or 'max'); "
            "falling back to 'auto'.",
            stacklevel=3,
        )
        return "auto"
    return mode


def _compiled_metrics(model):
    """Every metric object the model reports, with compiled metrics unpacked."""
    found = []
    for metric in getattr(model, "metrics", None) or []:
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            # mlkit's compiled metrics hold (output index, metric, weighted) entries.
            found.extend(entry[1] if isinstance(entry, tuple) else entry for entry in inner)
        else:
            found.append(metric)
    return found


def resolve_monitor_op(monitor, mode, model, callback_name):
    """`operator.lt` (lower is better) or `operator.gt`, from `mode` and `monitor`."""
    if mode == "min":
        return operator.lt
    if mode == "max":
        return operator.gt
    metric_name = monitor.removeprefix("val_")
    op = operator.lt if metric_name == "loss" else None
    for metric in _compiled_metrics(model):
        if getattr(metric, "name", None) == metric_name and hasattr(metric, "_direction"):
            op = operator.gt if metric._direction == "up" else operator.lt
    if op is None:
        raise ValueError(
            f"{callback_name} callback received monitor={monitor!r}, but cannot tell whether "
            "that quantity should be maximized or minimized. Pass mode='max' to keep the "
            "highest value (e.g. an accuracy), or mode='min' to keep the lowest (e.g. a loss)."
        )
    return op


def as_number(value):
    """A log value as a Python float (logs may hold NumPy scalars or tensors)."""
    return float(np.asarray(getattr(value, "data", value)))


class MonitorCallback(Callback):
    """Base class: `monitor`, `mode`, `baseline` (the initial best) and `min_delta`."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        name = type(self).__name__
        self.monitor = checked_monitor(monitor, name)
        self.mode = checked_mode(mode, name)
        self.best = None if baseline is None else check_number(name, "baseline", baseline)
        self.min_delta = abs(check_number(name, "min_delta", min_delta))
        self.monitor_op = None

    def _set_monitor_op(self):
        self.monitor_op = resolve_monitor_op(self.monitor, self.mode, self.model, type(self).__name__)
        if self.monitor_op is operator.lt:
            self.min_delta *= -1  # improvement: value + |min_delta| < best
        if self.best is None:
            self.best = np.inf if self.monitor_op is operator.lt else -np.inf

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
