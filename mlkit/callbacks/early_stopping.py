"""`EarlyStopping`: stop training when a monitored value stops improving.

At the end of every epoch the callback reads `logs[monitor]` and counts the
epochs since the last improvement (`wait`). The rules, as in Keras:

- the first monitored epoch is always an improvement (it sets `best`);
- an improvement must beat `best` by more than `min_delta`;
- `wait` goes up by one every monitored epoch and back to 0 on an
  improvement, but only if the value also beats `baseline` (when given);
- training stops at the end of an epoch without improvement once
  `wait >= patience` (so `patience=0`, like `patience=1`, stops at the first
  epoch that does not improve), never at epoch 0;
- epochs before `start_from_epoch` are not monitored at all (warm-up);
- with `restore_best_weights=True`, the weights of the best epoch are put
  back when training ends, whether or not it stopped early.

    >>> from mlkit import callbacks
    >>> stop = callbacks.EarlyStopping(monitor="val_loss", patience=3,
    ...                                restore_best_weights=True)
    >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    >>> # stop.stopped_epoch: the epoch it stopped at (0 if it never did)
"""

import operator
import warnings

from mlkit.callbacks.monitor_callback import MonitorCallback, as_number, resolve_monitor_op
from mlkit.utils.arguments import check_bool, check_integer


class EarlyStopping(MonitorCallback):
    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor=monitor, mode=mode, baseline=baseline, min_delta=min_delta)
        self.best = None  # `baseline` is a bar to clear here, not a first best (see on_epoch_end)
        self.patience = check_integer("EarlyStopping", "patience", patience, at_least=0,
                                      hint="It counts epochs without improvement, e.g. patience=3.")
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = check_bool("EarlyStopping", "restore_best_weights", restore_best_weights)
        self.start_from_epoch = check_integer("EarlyStopping", "start_from_epoch", start_from_epoch, at_least=0)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def _set_monitor_op(self):
        # Unlike MonitorCallback, `best` starts empty at every fit (see on_train_begin).
        self.monitor_op = resolve_monitor_op(self.monitor, self.mode, self.model, "EarlyStopping")
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def on_train_begin(self, logs=None):
        # Reset, so that one instance can be used for several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()  # only now are the compiled metrics known
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}",
                stacklevel=2,
            )
            return None
        return as_number(value)
