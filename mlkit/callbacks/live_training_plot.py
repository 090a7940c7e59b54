"""`LiveTrainingPlot`: training curves that redraw themselves as `fit` runs.

An mlkit extension (Keras has no such callback). In a Jupyter notebook one
figure appears under the cell and is updated in place after every epoch:
loss and metrics, training (solid) against validation (dashed), and the
learning rate on a second axis once it changes. Outside a notebook nothing
is shown; the figure is still kept up to date (`callback.figure`), and
`filename=` saves the final figure to a file (PNG, SVG, PDF: by suffix).

    from mlkit import callbacks
    live = callbacks.LiveTrainingPlot(filename="curves.png")
    model.fit(x, y, epochs=30, validation_split=0.2, verbose=0, callbacks=[live])

Drawing costs a few hundredths of a second, so when epochs are shorter than
that, the notebook view is refreshed at most every `min_interval` seconds
(the final figure is always complete). It uses the same drawing as
`plot_history`, and matplotlib is imported only when the first epoch ends.
"""

import sys
import time

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.monitor_callback import as_number
from mlkit.callbacks.training_plot import LEARNING_RATE, TrainingCurves, figure_png, series_from_history


def in_notebook():
    """True inside a Jupyter kernel (where rich output can be displayed)."""
    if "ipykernel" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class LiveTrainingPlot(Callback):
    def __init__(self, metrics=None, figsize=None, title=None, filename=None, min_interval=0.5):
        super().__init__()
        self.metrics = metrics
        self.figsize = figsize
        self.title = title
        self.filename = filename
        self.min_interval = min_interval
        self.series = {}
        self.figure = None
        self._curves = None
        self._display = None
        self._last_draw = None
        self._stale = False

    def on_train_begin(self, logs=None):
        self.series = {}
        self._display = None
        self._last_draw = None

    def on_epoch_end(self, epoch, logs=None):
        if not self.series:
            self._continue_restored_history(epoch)
        logs = dict(logs or {})
        if LEARNING_RATE not in logs:
            rate = self._learning_rate()
            if rate is not None:
                logs[LEARNING_RATE] = rate
        for name, value in logs.items():
            try:
                value = as_number(value)
            except (TypeError, ValueError):
                continue  # not a number: nothing to plot
            epochs, values = self.series.setdefault(name, ([], []))
            epochs.append(epoch)
            values.append(value)
        self._stale = True
        self._draw(final=False)

    def on_train_end(self, logs=None):
        if self.series:
            if self._stale:
                self._draw(final=True)
            if self.filename:
                self.figure.savefig(self.filename)

    def _continue_restored_history(self, epoch):
        """After BackupAndRestore, start the curves with the epochs run before."""
        history = getattr(self.model, "history", None)
        earlier = getattr(history, "epoch", None)
        if earlier and earlier[-1] < epoch:
            self.series = {name: (list(e), list(v)) for name, (e, v) in series_from_history(history).items()}

    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        try:
            return as_number(optimizer.learning_rate)
        except (AttributeError, TypeError, ValueError):
            return None

    def _draw(self, final):
        now = time.perf_counter()
        if not final and self._last_draw is not None and now - self._last_draw < self.min_interval:
            return
        if self._curves is None:
            self._curves = TrainingCurves(figsize=self.figsize, title=self.title, metrics=self.metrics)
            self.figure = self._curves.figure
        self._curves.update(self.series)
        self._last_draw = now
        self._stale = False
        if in_notebook():
            self._show()

    def _show(self):
        from IPython.display import Image, display

        image = Image(data=figure_png(self.figure), format="png")
        if self._display is None:
            self._display = display(image, display_id=True)
        else:
            self._display.update(image)
