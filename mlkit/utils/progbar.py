"""`Progbar`: a text progress bar that redraws itself in place.

In a terminal or a Jupyter notebook the line is rewritten after a carriage
return (`\\r`, at most every `interval` seconds), so an epoch is one line that
grows, not one line per batch; a shorter redraw is padded with spaces so no
characters of the previous one are left behind. When output goes to a file
or a CI log (no terminal, no notebook), only each bar's final line is
printed. `verbose=2` prints only that final line, always.

    >>> bar = Progbar(target=3, verbose=2)
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", 0.5)])   # doctest: +ELLIPSIS
    3/3 - 0s - ...s/step - loss: 0.5000

As in Keras, a value is averaged over the steps so far, unless its name is
in `stateful_metrics` (then it is shown as given); the final update of a bar
(`finalize=True`) shows the values as given.
"""

import sys
import time

import numpy as np


def _dynamic_display():
    """True when `\\r` redraws the line: a terminal, or a Jupyter kernel's output."""
    stream = sys.stdout
    if type(stream).__module__.startswith("ipykernel"):  # a notebook cell's output stream
        return True
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def _format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_per_step(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_value(value):
    if not isinstance(value, float):
        value = float(np.mean(value))
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


class Progbar:
    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _dynamic_display()
        self._values = {}  # name -> [sum of value * steps, steps]
        self._seen_so_far = 0
        self._start = time.perf_counter()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._previous_width = 0

    def update(self, current, values=None, finalize=None):
        """Record progress `current` with `(name, value)` pairs; draw if due.

        `finalize` (default: `current >= target`) draws the bar's last line.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if values:
            self._record(values, current, finalize)
        self._seen_so_far = current
        now = time.perf_counter()
        if current == 1 and self._time_after_first_step is None:
            self._time_after_first_step = now
        if self.verbose == 1:
            if finalize or (self._dynamic_display and now - self._last_update >= self.interval):
                self._draw_bar(current, now, finalize)
                self._last_update = now
        elif self.verbose == 2 and finalize:
            self._draw_summary(current, now)

    def redraw_due(self):
        """Whether an `update` now would redraw the bar (mlkit): lets a caller
        skip preparing values that would not be shown."""
        return (
            self.verbose == 1
            and self._dynamic_display
            and time.perf_counter() - self._last_update >= self.interval
        )

    def add(self, n, values=None):
        """Advance by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _record(self, values, current, finalize):
        steps = max(current - self._seen_so_far, 1)
        stateful = self.stateful_metrics
        for name, value in values:
            if finalize or name in stateful:
                self._values[name] = [value, 1]
            elif name in self._values:
                entry = self._values[name]
                entry[0] += value * steps
                entry[1] += steps
            else:
                self._values[name] = [value * steps, steps]

    def _time_per_step(self, current, now):
        if not current:
            return 0.0
        # The first step (often slow: building, warming caches) is left out.
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current

    def _metrics_text(self):
        return "".join(
            f" - {name}: {_format_value(total / max(1, count))}" for name, (total, count) in self._values.items()
        )

    def _draw_bar(self, current, now, finalize):
        target = self.target
        if target:
            digits = len(str(target))
            filled = int(self.width * min(current, target) / target)
            text = f"{current:>{digits}}/{target} {'━' * filled}{'─' * (self.width - filled)}"
        else:
            text = f"{current:>7}/Unknown"
        if target and not finalize:
            text += f" {_format_eta(self._time_per_step(current, now) * (target - current))}"
        else:
            text += f" {now - self._start:.0f}s"
        text += f" {_format_per_step(self._time_per_step(current, now), self.unit_name)}"
        text += self._metrics_text()
        if not self._dynamic_display:  # a log file: only the final line, once
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
            return
        padding = " " * max(self._previous_width - len(text), 0)
        self._previous_width = len(text)
        sys.stdout.write("\r" + text + padding + ("\n" if finalize else ""))
        sys.stdout.flush()

    def _draw_summary(self, current, now):
        count = f"{current:>{len(str(self.target))}}/{self.target}" if self.target else f"{current}"
        per_step = _format_per_step(self._time_per_step(current, now), self.unit_name)
        sys.stdout.write(f"{count} - {now - self._start:.0f}s - {per_step}{self._metrics_text()}\n")
        sys.stdout.flush()
