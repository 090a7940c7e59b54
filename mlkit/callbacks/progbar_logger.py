"""`ProgbarLogger`: prints training progress (what `verbose=1` and `2` show).

verbose=1: a progress bar per epoch, redrawn in place (in a terminal and in
Jupyter), with the step count, time and running metrics.
verbose=2: one line per epoch, for logs and CI.
"""

from mlkit.callbacks.callback import Callback
from mlkit.utils.progbar import Progbar


class ProgbarLogger(Callback):
    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self._bar = None
        self._mode = None

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)

    def _start(self, target, mode):
        self._bar = Progbar(target=target, verbose=self.verbose, unit_name="step")
        self._mode = mode

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
        self._start(self.params.get("steps"), "train")

    def on_train_batch_end(self, batch, logs=None):
        self._bar.update(batch + 1, _numbers(logs), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self._bar.seen_steps, _numbers(logs), finalize=True)

    def on_test_begin(self, logs=None):
        if self._mode != "train":  # standalone evaluate(): a bar of its own
            self._start(self.params.get("steps"), "test")

    def on_test_batch_end(self, batch, logs=None):
        if self._mode == "test":
            self._bar.update(batch + 1, _numbers(logs), finalize=False)

    def on_test_end(self, logs=None):
        if self._mode == "test":
            self._bar.update(self._bar.seen_steps, _numbers(logs), finalize=True)

    def on_predict_begin(self, logs=None):
        self._start(self.params.get("steps"), "predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._bar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        self._bar.update(self._bar.seen_steps, finalize=True)


def _numbers(logs):
    return [(name, value) for name, value in (logs or {}).items() if isinstance(value, (int, float))]
