"""The progress bar (mlkit.utils.progbar) and ProgbarLogger: what the screen shows.

A terminal or a Jupyter kernel is simulated (a tty stdout, or "ipykernel" in
sys.modules) and the clock is faked, so every redraw is known exactly.
"""

import contextlib
import io
import re
from collections.abc import Mapping

import pytest

from mlkit import callbacks
from mlkit.utils import progbar
from mlkit.utils.progbar import Progbar


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar, "time", fake)
    return fake


class OutStream(io.StringIO):
    """Stands for the stream a Jupyter kernel puts in sys.stdout (no tty)."""

    __module__ = "ipykernel.iostream"

    def isatty(self):
        return False


class Terminal(io.StringIO):
    def isatty(self):
        return True


def captured(stream_type):
    """A context that sends stdout to a new `stream_type` (kept as `.stream`)."""
    stream = stream_type()
    context = contextlib.redirect_stdout(stream)
    context.stream = stream
    return context


def test_a_bar_redraws_in_place_and_pads_shorter_lines(clock):
    with captured(Terminal) as terminal:
        bar = Progbar(target=4)
        clock.now = 0.1
        bar.update(1, [("loss", 12345.678)])  # drawn: the first update is always due
        clock.now = 0.12
        bar.update(2, [("loss", 1.0)])  # 0.02 s later: not drawn (interval 0.05 s), still averaged
        clock.now = 0.2
        bar.update(3, [("loss", 0.5)])  # drawn: 2 characters shorter, so 2 spaces of padding
        clock.now = 0.3
        bar.update(4, [("loss", 0.25)])  # the target: final line, exact value, new line
    first = "1/4 ━━━━━─────────────── 0s 100ms/step - loss: 12345.6780"
    third = "3/4 ━━━━━━━━━━━━━━━───── 0s 50ms/step - loss: 4115.7260"  # (12345.678 + 1 + 0.5) / 3
    final = "4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 67ms/step - loss: 0.2500"
    # Each redraw covers the characters the previous one left visible.
    assert terminal.getvalue() == (
        "\r" + first + "\r" + third + "  " + "\r" + final + " " * (len(third) - len(final)) + "\n"
    )


def test_in_a_notebook_the_bar_is_redrawn_with_carriage_returns_too(clock):
    with captured(OutStream) as notebook:
        bar = Progbar(target=2, stateful_metrics=["loss"])
        clock.now = 1.0
        bar.update(1, [("loss", 0.5)])
        bar.update(2, [("loss", 0.25)])
    out = notebook.getvalue()
    assert out.count("\r") == 2 and out.endswith("\n") and out.count("\n") == 1
    assert "loss: 0.5000" in out.split("\r")[1]  # stateful: shown as given


def test_without_a_terminal_only_the_final_line_is_printed(clock, capsys):
    bar = Progbar(target=3)
    for step in (1, 2, 3):
        clock.now += 1.0
        bar.update(step, [("loss", 1.0 / step)])
    assert capsys.readouterr().out == "3/3 ━━━━━━━━━━━━━━━━━━━━ 3s 1s/step - loss: 0.3333\n"


def test_verbose_2_prints_one_summary_line(clock):
    with captured(Terminal) as terminal:
        bar = Progbar(target=10, verbose=2)
        for step in range(1, 11):
            clock.now = step * 0.002
            bar.update(step, [("accuracy", 0.5)])
    assert terminal.getvalue() == "10/10 - 0s - 2ms/step - accuracy: 0.5000\n"


def test_an_unknown_target_counts_steps_and_tiny_values_use_exponents(clock):
    with captured(Terminal) as terminal:
        bar = Progbar(target=None, stateful_metrics=["loss"])
        clock.now = 1.0
        bar.update(5, [("loss", 0.0001234)])
    assert terminal.getvalue() == "\r      5/Unknown 1s 200ms/step - loss: 1.2340e-04"


def test_fit_in_a_notebook_shows_one_updating_bar_per_epoch(tiny_model, regression_data):
    x, y = regression_data
    with captured(OutStream) as notebook:
        tiny_model().fit(x, y, epochs=2, batch_size=4, validation_data=(x, y))  # verbose="auto": a bar
    lines = notebook.getvalue().split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == ""
    for bar_line in (lines[1], lines[3]):
        redraws = bar_line.split("\r")[1:]
        assert redraws[0].startswith("1/2 ")  # the first batch drew at once
        assert re.fullmatch(r"2/2 ━{20} \d+s \d+(us|ms)/step - loss: \d+\.\d{4} - val_loss: \d+\.\d{4} *", redraws[-1])
        assert all("val_loss" not in redraw for redraw in redraws[:-1])


def test_fit_with_verbose_2_prints_one_line_per_epoch(tiny_model, regression_data, capsys):
    x, y = regression_data
    tiny_model(metrics=["mae"]).fit(x, y, epochs=2, batch_size=4, validation_data=(x, y), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and len(lines) == 4
    pattern = r"2/2 - \d+s - \d+(us|ms)/step - loss: \S+ - mae: \S+ - val_loss: \S+ - val_mae: \S+"
    assert re.fullmatch(pattern, lines[1]) and re.fullmatch(pattern, lines[3])


def test_evaluate_and_predict_draw_their_own_bars(tiny_model, regression_data):
    model = tiny_model(metrics=["mae"])
    with captured(Terminal) as terminal:
        model.evaluate(*regression_data, batch_size=4)
    out = terminal.getvalue()
    # Sorted by name, as Keras shows them.
    assert out.endswith("\n") and re.search(r"\r2/2 ━{20} .* - loss: \S+ - mae: \S+ *\n$", out)
    with captured(Terminal) as terminal:
        model.predict(regression_data[0], batch_size=4)
    out = terminal.getvalue()
    assert re.search(r"\r2/2 ━{20} \d+s \d+(us|ms)/step *\n$", out) and "loss" not in out


class CountingLogs(Mapping):
    """Logs that count how often they are read (fit's logs are computed lazily)."""

    def __init__(self):
        self.reads = 0

    def __getitem__(self, name):
        self.reads += 1
        return {"loss": 0.5}[name]

    def __iter__(self):
        self.reads += 1
        return iter(["loss"])

    def __len__(self):
        self.reads += 1
        return 1


def test_the_logger_reads_batch_logs_only_when_it_redraws(clock, capsys):
    logger = callbacks.ProgbarLogger()
    logger.set_params({"verbose": 1, "epochs": 1, "steps": 100})
    logger.on_train_begin()
    logger.on_epoch_begin(0)
    logs = CountingLogs()
    for batch in range(99):  # no terminal: nothing is drawn before the end
        logger.on_train_batch_end(batch, logs)
    assert logs.reads == 0
    logger.on_epoch_end(0, {"loss": 0.5})
    assert capsys.readouterr().out.startswith("100/100 ")


def test_verbose_auto_means_a_progress_bar():
    logger = callbacks.ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 3, "steps": 10})
    assert (logger.verbose, logger.epochs, logger.target) == (1, 3, 10)
