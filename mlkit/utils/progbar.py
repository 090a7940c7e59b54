"""`Progbar`: a text progress bar that redraws itself in place.

In a terminal or a Jupyter notebook the line is rewritten with a carriage
return (at most every `interval` seconds), so an epoch is one line, not one
line per batch. When output goes to a file or CI log, only the final line
of each bar is printed.

    >>> bar = Progbar(target=3, verbose=2)
    >>> for step in range(1, 4):
    ...     bar.update(step, [("loss", 0.5)])
    3/3 - 0s - loss: 0.5000
"""

import sys
import time


def _dynamic_display():
    """True when `\\r` redraws the line: a terminal, or a Jupyter kernel."""
    stream = sys.stdout
    return (hasattr(stream, "isatty") and stream.isatty()) or "ipykernel" in sys.modules


def _format_duration(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def _format_per_step(seconds, unit_name):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


class Progbar:
    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.seen_steps = 0
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._dynamic = _dynamic_display()
        self._values = []
        self._finished = False

    def update(self, current, values=None, finalize=None):
        """Record progress `current` with (name, value) pairs; draw if due."""
        if values is not None:
            self._values = list(values)
        self.seen_steps = current
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if not self.verbose or self._finished:
            return
        now = time.perf_counter()
        if finalize:
            self._finished = True
            self._draw(current, now, final=True)
        elif self.verbose == 1 and self._dynamic and now - self._last_draw >= self.interval:
            self._draw(current, now, final=False)

    def _draw(self, current, now, final):
        self._last_draw = now
        elapsed = now - self._start
        per_step = elapsed / max(current, 1)
        metrics = "".join(f" - {name}: {value:.4f}" for name, value in self._values)
        target = self.target
        if self.verbose == 2 or not self._dynamic:
            if final:
                count = f"{current}/{target}" if target else f"{current}"
                print(f"{count} - {_format_duration(elapsed)} - {_format_per_step(per_step, self.unit_name)}{metrics}", flush=True)
            return
        if target:
            filled = int(self.width * min(current, target) / target)
            bar = "━" * filled + "─" * (self.width - filled)
            count = f"{current:>{len(str(target))}}/{target} {bar}"
        else:
            count = f"{current}"
        if final:
            timing = f"{_format_duration(elapsed)} {_format_per_step(per_step, self.unit_name)}"
        else:
            remaining = per_step * (target - current) if target else 0.0
            timing = f"ETA {_format_duration(remaining)}"
        line = f"\r{count} {timing}{metrics}"
        sys.stdout.write(line + ("\n" if final else ""))
        sys.stdout.flush()
