"""`LearningRateScheduler`: set the learning rate at the start of every epoch.

`schedule(epoch, lr)` receives the epoch index (from 0) and the current
learning rate, and returns the new one (a float). A function of the epoch
alone, `schedule(epoch)`, works too. At the end of every epoch the learning
rate goes into `logs["learning_rate"]`, so `History` records it.

    >>> from mlkit import callbacks
    >>> def schedule(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9
    >>> scheduler = callbacks.LearningRateScheduler(schedule, verbose=1)
    >>> # model.fit(x, y, epochs=15, callbacks=[scheduler])
"""

import inspect

import numpy as np

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.reduce_lr_on_plateau import current_learning_rate
from mlkit.utils.arguments import check_callable_with


def _takes_two_arguments(function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature
        return True
    try:
        signature.bind(0, 0.1)
        return True
    except TypeError:
        return False


class LearningRateScheduler(Callback):
    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: `schedule` must be a function (epoch, lr) -> new lr, got "
                f"{type(schedule).__name__}: {schedule!r}."
            )
        if not _takes_two_arguments(schedule):
            check_callable_with(
                "LearningRateScheduler", "schedule", schedule, (0,),
                "schedule(epoch, lr) (or schedule(epoch))", "def schedule(epoch, lr): return lr",
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = current_learning_rate(self.model, "LearningRateScheduler")
        if _takes_two_arguments(self.schedule):
            new_rate = self.schedule(epoch, learning_rate)
        else:
            new_rate = self.schedule(epoch)
        new_rate = _as_float(new_rate)
        self.model.optimizer.learning_rate = new_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model, "LearningRateScheduler")


def _as_float(value):
    """The schedule's result as a float; a one-element tensor or NumPy scalar is fine."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    data = getattr(value, "data", None)
    if data is not None and np.size(data) == 1 and np.issubdtype(np.asarray(data).dtype, np.floating):
        return float(np.asarray(data))
    raise ValueError(
        f"The output of the `schedule` function should be a float. Got: {value!r}"
        + (f". Write {value}.0 or float({value})." if isinstance(value, int) and not isinstance(value, bool) else ".")
    )
