"""`ProgbarLogger`: prints training progress (what `verbose=1` and `2` show).

`fit` adds one whenever `verbose` is not 0:

- `verbose=1` (or `"auto"`): "Epoch 3/10", then a progress bar redrawn in
  place (terminal and Jupyter) with the step count, time and metrics; its
  final line for the epoch adds the validation results.
- `verbose=2`: one line per epoch, for log files and CI.

Inside `fit`, validation is silent (its results appear on the epoch's line);
`evaluate` and `predict` draw a bar of their own.

    Epoch 1/2
    4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.6931 - val_loss: 0.6902
"""

from mlkit.callbacks.callback import Callback
from mlkit.utils.progbar import Progbar


class ProgbarLogger(Callback):
    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # so validation draws nothing

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._start_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._start_progbar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs=None):
        self._start_progbar()

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # the outputs are not shown

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _start_progbar(self):
        self.seen = 0
        self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")

    def _update_progbar(self, batch, logs):
        if self.progbar is None:
            self._start_progbar()
        self.seen = batch + 1  # counted from 1 on screen
        if self.verbose != 1:
            return
        values = None
        if logs is not None and self.progbar.redraw_due():
            # Read (and sort, as Keras shows them) the logs only for a redraw.
            values = sorted(logs.items())
            # They are means over the epoch so far already: shown as they are.
            self.progbar.stateful_metrics.update(name for name, _ in values)
        self.progbar.update(self.seen, values, finalize=False)

    def _finalize_progbar(self, logs):
        if self.progbar is None:
            self._start_progbar()
        if self.target is None:  # a generator of unknown length: now we know
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list(logs.items()) if logs else None, finalize=True)
