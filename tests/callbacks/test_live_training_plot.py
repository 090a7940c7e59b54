"""LiveTrainingPlot and plot_history (mlkit extensions): the figure's content.

Rendering uses matplotlib's Agg canvas, so no display is needed; a notebook
is simulated by replacing IPython's display function.
"""

import subprocess
import sys

import pytest

from mlkit import callbacks
from mlkit.callbacks import live_training_plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def lines_by_label(axis):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in axis.get_lines()}


def fit_with(model, data, plot, epochs=3, **kwargs):
    x, y = data
    halve = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / 2**epoch)
    return model.fit(x, y, epochs=epochs, validation_data=(x, y), verbose=0, callbacks=[halve, plot], **kwargs)


def test_the_live_plot_draws_training_validation_and_the_learning_rate(tmp_path, tiny_model, regression_data):
    path = tmp_path / "curves.png"
    plot = callbacks.LiveTrainingPlot(filename=path, min_interval=0)
    history = fit_with(tiny_model(metrics=["mae"]), regression_data, plot)
    figure = plot.figure
    assert len(figure.axes) == 3  # two panels, and the loss panel's second y-axis
    panels = {axis.get_title(): axis for axis in figure.axes if axis.get_title()}
    loss_axis, mae_axis = panels["loss"], panels["mae"]
    (rate_axis,) = [axis for axis in figure.axes if axis.get_ylabel() == "learning rate"]
    assert rate_axis.bbox.bounds == loss_axis.bbox.bounds  # drawn over the loss panel
    epochs = [1, 2, 3]
    for axis, name in ((loss_axis, "loss"), (mae_axis, "mae")):
        lines = lines_by_label(axis)
        assert lines["training"] == (epochs, pytest.approx(history.history[name]))
        assert lines["validation"] == (epochs, pytest.approx(history.history["val_" + name]))
        assert axis.get_lines()[1].get_linestyle() == "--"
    assert lines_by_label(rate_axis)["learning rate"] == (epochs, pytest.approx([0.1, 0.05, 0.025]))
    assert rate_axis.get_ylabel() == "learning rate"
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    import matplotlib.image

    assert matplotlib.image.imread(path).shape[2] in (3, 4)  # a valid, decodable PNG


def test_a_constant_learning_rate_gets_no_second_axis(tiny_model, regression_data):
    plot = callbacks.LiveTrainingPlot(min_interval=0)
    x, y = regression_data
    tiny_model().fit(x, y, epochs=2, verbose=0, callbacks=[plot])
    (axis,) = plot.figure.axes
    assert axis.get_title() == "loss" and lines_by_label(axis)["validation"] == ([], [])


class FakeDisplay:
    """Records what IPython.display.display and the display handle receive."""

    def __init__(self):
        self.shown, self.updates = [], []

    def display(self, image, display_id=None):
        assert display_id is True
        self.shown.append(image)
        return self

    def update(self, image):
        self.updates.append(image)


@pytest.fixture
def notebook(monkeypatch):
    import IPython.display

    fake = FakeDisplay()
    monkeypatch.setattr(live_training_plot, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake.display)
    return fake


def test_in_a_notebook_one_figure_is_shown_then_updated_in_place(notebook, tiny_model, regression_data):
    plot = callbacks.LiveTrainingPlot(min_interval=0)
    fit_with(tiny_model(), regression_data, plot, epochs=3)
    assert len(notebook.shown) == 1 and len(notebook.updates) == 2  # epoch 1 shows, epochs 2 and 3 update
    for image in notebook.shown + notebook.updates:
        assert image.format == "png" and image.data.startswith(PNG_SIGNATURE)


def test_fast_epochs_are_drawn_less_often_but_the_final_figure_is_complete(notebook, tiny_model, regression_data):
    plot = callbacks.LiveTrainingPlot(min_interval=3600)
    history = fit_with(tiny_model(), regression_data, plot, epochs=4)
    assert len(notebook.shown) == 1 and len(notebook.updates) == 1  # the first epoch, then the end
    x, y = lines_by_label(plot.figure.axes[0])["training"]
    assert x == [1, 2, 3, 4] and y == pytest.approx(history.history["loss"])


def test_outside_a_notebook_nothing_is_displayed(monkeypatch, tiny_model, regression_data):
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: pytest.fail("displayed"))
    fit_with(tiny_model(), regression_data, callbacks.LiveTrainingPlot(min_interval=0))


def test_after_a_restore_the_curves_start_with_the_earlier_epochs(tmp_path, tiny_model, regression_data):
    x, y = regression_data
    backup = callbacks.BackupAndRestore(tmp_path / "backup")

    def fail_at_2(epoch, logs):
        if epoch == 2:
            raise RuntimeError("interrupted")

    model = tiny_model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[backup, callbacks.LambdaCallback(on_epoch_begin=fail_at_2)])
    plot = callbacks.LiveTrainingPlot(min_interval=0)
    history = tiny_model().fit(x, y, epochs=4, verbose=0, callbacks=[backup, plot])
    x_values, y_values = lines_by_label(plot.figure.axes[0])["training"]
    assert x_values == [1, 2, 3, 4] and y_values == pytest.approx(history.history["loss"])


def test_plot_history_returns_a_figure_that_jupyter_shows_as_png(tiny_model, regression_data):
    x, y = regression_data
    history = tiny_model(metrics=["mae"]).fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    figure = callbacks.plot_history(history, title="digits")
    loss_axis, mae_axis = figure.axes
    lines = lines_by_label(loss_axis)
    assert lines["training"][0] == [1, 2, 3, 4]
    assert lines["validation"] == ([2, 4], pytest.approx(history.history["val_loss"]))  # every 2nd epoch
    assert figure._suptitle.get_text() == "digits"
    assert figure._repr_png_().startswith(PNG_SIGNATURE)

    only_mae = callbacks.plot_history(history.history, metrics=["mae"])
    assert [axis.get_title() for axis in only_mae.axes] == ["mae"]
    with pytest.raises(ValueError, match=r"Nothing was logged for \['accuracy'\]"):
        callbacks.plot_history(history, metrics="accuracy")


def test_a_missing_matplotlib_gets_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        callbacks.plot_history({"loss": [1.0, 0.5]})


def test_importing_mlkit_does_not_import_matplotlib_or_ipython():
    code = "import sys, mlkit; from mlkit import callbacks; print('matplotlib' in sys.modules, 'IPython' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr
