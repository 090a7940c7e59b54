"""`plot_history`: training curves from a `History`, as a matplotlib Figure.

An mlkit extension (Keras has no plotting helper). One panel per quantity —
loss first, then each metric — with the training curve (solid) and the
validation curve (dashed) over the epochs. When the learning rate changed
during training (`LearningRateScheduler`, `ReduceLROnPlateau`), it is drawn
on a second y-axis of the loss panel.

    history = model.fit(x, y, epochs=20, validation_split=0.2, verbose=0)
    figure = plot_history(history)       # shown when it ends a notebook cell
    figure.savefig("curves.png")

The Figure is made without `pyplot`, so it works in scripts and on servers
without a display, is not shown twice in Jupyter, and is freed like any
object. matplotlib is imported only when you plot.
"""

import io
import math

_PANEL_COLUMNS = 3
_TRAIN_COLOR, _VALIDATION_COLOR, _RATE_COLOR = "C0", "C1", "C2"
LEARNING_RATE = "learning_rate"


def _require_matplotlib(what):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            f"{what} needs matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (it comes with `pip install mlkit[course]`)."
        ) from None


def figure_png(figure, dpi=None):
    """The figure rendered as PNG bytes (with the Agg renderer, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def new_figure(figsize=None):
    """A Figure that is not managed by pyplot, and that Jupyter shows as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    # IPython displays an object through its _repr_png_, even when matplotlib's
    # notebook integration is not loaded (pyplot never imported).
    figure._repr_png_ = lambda: figure_png(figure)
    return figure


def panel_names(series, metrics=None):
    """The quantities to draw, one panel each: loss first, then in order of appearance."""
    names = []
    for key in series:
        name = key[4:] if key.startswith("val_") else key
        if name != LEARNING_RATE and name not in names:
            names.append(name)
    if metrics is not None:
        wanted = [metrics] if isinstance(metrics, str) else list(metrics)
        missing = [name for name in wanted if name not in names]
        if missing:
            raise ValueError(
                f"Nothing was logged for {missing}: the history has {names}. Pass names from that "
                "list (without the val_ prefix: the validation curve comes with its quantity)."
            )
        names = wanted
    return sorted(names, key=lambda name: name != "loss")


class TrainingCurves:
    """A Figure with one panel per quantity, redrawn in place from `series`.

    `series` maps a log name to `(epochs, values)`; epochs are shown from 1.
    """

    def __init__(self, figsize=None, title=None, metrics=None):
        _require_matplotlib("Plotting training curves")
        self.figure = new_figure(figsize)
        self.figsize = figsize
        self.title = title
        self.metrics = metrics
        self._panels = None  # names, in layout order
        self._axes = {}
        self._lines = {}
        self._rate_axis = None

    def update(self, series):
        names = panel_names(series, self.metrics)
        rates = series.get(LEARNING_RATE)
        show_rate = rates is not None and len(set(rates[1])) > 1
        layout = (tuple(names), show_rate)
        if layout != self._panels:
            self._layout(names, show_rate)
            self._panels = layout
        for key, line in self._lines.items():
            epochs, values = series.get(key, ((), ()))
            line.set_data([epoch + 1 for epoch in epochs], values)
        for axis in list(self._axes.values()) + ([self._rate_axis] if self._rate_axis is not None else []):
            axis.relim()
            axis.autoscale_view()
        if self._rate_axis is not None:
            positive = [v for v in rates[1] if v > 0]
            if positive and max(positive) / min(positive) > 10:
                self._rate_axis.set_yscale("log")
        return self.figure

    def _layout(self, names, show_rate):
        figure = self.figure
        figure.clear()
        self._axes, self._lines, self._rate_axis = {}, {}, None
        columns = min(len(names), _PANEL_COLUMNS) or 1
        rows = math.ceil(len(names) / columns) or 1
        if self.figsize is None:  # room for every panel
            figure.set_size_inches(4.5 * columns + (1 if show_rate else 0), 3.4 * rows)
        for index, name in enumerate(names):
            axis = figure.add_subplot(rows, columns, index + 1)
            (train,) = axis.plot([], [], color=_TRAIN_COLOR, marker=".", label="training")
            (validation,) = axis.plot([], [], color=_VALIDATION_COLOR, marker=".", linestyle="--", label="validation")
            self._lines[name], self._lines["val_" + name] = train, validation
            axis.set_title(name)
            axis.set_xlabel("epoch")
            axis.grid(True, alpha=0.3)
            axis.xaxis.get_major_locator().set_params(integer=True)
            self._axes[name] = axis
            handles = [train, validation]
            if show_rate and index == 0:
                self._rate_axis = axis.twinx()
                (rate,) = self._rate_axis.plot(
                    [], [], color=_RATE_COLOR, drawstyle="steps-post", linewidth=1, label="learning rate"
                )
                self._rate_axis.set_ylabel("learning rate", color=_RATE_COLOR)
                self._lines[LEARNING_RATE] = rate
                handles.append(rate)
            axis.legend(handles=handles, loc="best", fontsize="small")
        if self.title:
            figure.suptitle(self.title)
        figure.tight_layout()


def series_from_history(history):
    """`{name: (epochs, values)}` from a History (or its `history` dict)."""
    record = history.history if hasattr(history, "history") else dict(history)
    epochs = list(getattr(history, "epoch", None) or range(len(next(iter(record.values()), []))))
    series = {}
    for name, values in record.items():
        values = [float(v) for v in values]
        if len(values) == len(epochs):
            series[name] = (epochs, values)
        else:
            series[name] = (_sparse_epochs(epochs, len(values)), values)
    return series


def _sparse_epochs(epochs, count):
    """The epochs of a quantity logged less often (validation_freq=k: every k-th epoch)."""
    if count == 0:
        return []
    every = len(epochs) // count
    if every >= 1 and len(epochs) // every == count:
        return [epochs[index] for index in range(every - 1, len(epochs), every)][:count]
    return epochs[-count:]


def plot_history(history, metrics=None, figsize=None, title=None):
    """Training (and validation) curves of a `History`, as a matplotlib Figure.

    mlkit extension. `history`: what `fit` returned (or its `.history` dict).
    `metrics`: the quantities to draw (default: all, loss first), named
    without the `val_` prefix. Returns the Figure; `figure.savefig(path)`
    writes it to a file.
    """
    curves = TrainingCurves(figsize=figsize, title=title, metrics=metrics)
    series = series_from_history(history)
    if not series:
        raise ValueError("plot_history: the history is empty; train with fit() first.")
    return curves.update(series)
