"""`ModelCheckpoint`: save the model (or its weights) while it trains.

`filepath` may hold fields filled from the epoch (counted from 1, as on
screen) and the logs: `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"` gives
`ckpt/03-0.41.keras` after the third epoch; with `save_freq=<n>` (save every
n batches) `{batch}` is the batch number within the epoch, from 1.

- `save_best_only=True`: save only when `monitor` improves on the best value
  so far (`initial_value_threshold`, if given, is the value to beat first).
  If `monitor` is missing from the logs it saves anyway, with a warning.
- `save_weights_only=True`: `model.save_weights` (the path must end in
  `.weights.h5`); otherwise `model.save` (`.keras`).

Every file is written to a temporary file first and renamed over the old one
only when complete, so a crash or a kill in the middle of a save never
leaves a half-written checkpoint: the previous one stays intact.

    >>> from mlkit import callbacks
    >>> checkpoint = callbacks.ModelCheckpoint(
    ...     "best.keras", monitor="val_accuracy", mode="max", save_best_only=True)
    >>> # model.fit(x, y, validation_split=0.2, callbacks=[checkpoint])
    >>> # best = mlkit.saving.load_model("best.keras")
"""

import os
import warnings

import numpy as np

from mlkit.callbacks.monitor_callback import MonitorCallback, as_number
from mlkit.callbacks.save_frequency import BatchCounter


class ModelCheckpoint(MonitorCallback):
    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches = BatchCounter()
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or integer "
                "values (save every that many batches)."
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                    "must end in `.weights.h5`. Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith(".keras"):
            hint = " (a whole model goes into a .keras file; the legacy HDF5 model format is not written)" if self.filepath.endswith(".h5") else ""
            raise ValueError(
                "The filepath provided must end in `.keras` (the model format)"
                f"{hint}. Received: filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.due(batch, self.save_freq):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if np.ndim(getattr(current, "data", current)) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if self.monitor_op is None:  # saving by batch, before the first epoch ended
            self._set_monitor_op()
        current = as_number(current)
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IOError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                f"existing directory: {filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        """`filepath` with its {epoch}, {batch} and {log name} fields filled in."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error} is '
                f"not in the logs (available: epoch, batch, {', '.join(logs) or 'no logs'})."
            ) from None
