"""`ReduceLROnPlateau`: lower the learning rate when a value stops improving.

At the end of every epoch the callback writes the learning rate used in that
epoch to `logs["learning_rate"]` (so `History` records it), then, as Keras
does:

- during a cooldown (the `cooldown` epochs after a reduction) it counts the
  cooldown down and keeps `wait` at 0; note that the count goes down *before*
  the check, so `cooldown=c` skips `c - 1` epochs of counting;
- an improvement is a value below `best - min_delta` (mode "min") or above
  `best + min_delta` (mode "max"); it resets `wait`;
- otherwise, outside a cooldown, `wait` goes up; when it reaches `patience`
  the learning rate becomes `max(lr * factor, min_lr)` (if it is still above
  `min_lr`), a cooldown starts and `wait` goes back to 0.

`mode="auto"` means "max" when "acc" is in the monitored name, else "min".

    >>> from mlkit import callbacks
    >>> reduce = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
    ...                                      patience=5, min_lr=0.001)
    >>> # model.fit(x, y, validation_split=0.2, callbacks=[reduce])
"""

import warnings

import numpy as np

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.monitor_callback import as_number, checked_mode, checked_monitor
from mlkit.utils.arguments import check_integer, check_number


def current_learning_rate(model, callback_name):
    """The model optimizer's learning rate as a float (evaluated if a schedule)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{callback_name} changes the optimizer's learning rate, but the model has no optimizer "
            'with a "learning_rate" attribute. Call model.compile(optimizer=...) before fit().'
        )
    return as_number(optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        super().__init__()
        name = "ReduceLROnPlateau"
        check_number(name, "factor", factor, above=0, hint="It multiplies the learning rate, e.g. factor=0.1.")
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0 (it would not reduce the "
                f"learning rate). Received factor={factor}; use e.g. factor=0.1."
            )
        self.monitor = checked_monitor(monitor, name)
        self.factor = factor
        self.min_lr = check_number(name, "min_lr", min_lr, at_least=0)
        self.min_delta = check_number(name, "min_delta", min_delta)
        self.patience = check_integer(name, "patience", patience, at_least=0,
                                      hint="It counts epochs without improvement, e.g. patience=5.")
        self.verbose = verbose
        self.cooldown = check_integer(name, "cooldown", cooldown, at_least=0)
        self.mode = mode
        self._reset()

    def _reset(self):
        """Reset `wait`, the cooldown, `best` and the direction."""
        self.mode = checked_mode(self.mode, "ReduceLROnPlateau")
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda value, best: np.less(value, best - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda value, best: np.greater(value, best + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = current_learning_rate(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        current = as_number(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = current_learning_rate(self.model, "ReduceLROnPlateau")
                # Compared in float32, the optimizer's precision: min_lr stored in
                # float32 must count as reached.
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
