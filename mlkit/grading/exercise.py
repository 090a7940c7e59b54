"""`exercise`: run a test cell's checks and turn any failure into an explanation.

    with grading.exercise("SimpleDense builds lazily"):
        grading.check_builds_lazily(lambda: SimpleDense(4), input_shape=(2, 3))

On success it prints `✓ SimpleDense builds lazily`. Whatever goes wrong
inside the block becomes a `GradingFailure` that shows only an authored
message: a failed check says what it expected; an error in the learner's
code is reported with the line of *their* cell where it happened; a stub
that still raises `NotImplementedError` says the exercise is not done yet;
a missing name says which cell to run (or fix) first; a check that runs
longer than the time limit (an endless loop) is stopped and says where it
was stuck. The test code itself never appears.
"""

import linecache
import os
import signal
import sys
import sysconfig
import threading
from pathlib import Path

from mlkit.grading import cell_history, probe_channel
from mlkit.grading.failure import GradingFailure, UnfinishedExercise

# Seconds a block of checks may run; MLKIT_GRADING_TIME_LIMIT overrides it
# (instructors grading a class, and the course's own tests, lower it).
DEFAULT_TIME_LIMIT = 30.0
TIME_LIMIT_VARIABLE = "MLKIT_GRADING_TIME_LIMIT"

_MLKIT_DIR = str(Path(__file__).resolve().parent.parent)
_LIBRARY_DIRS = tuple(
    {str(Path(p).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib")
     if (p := sysconfig.get_paths().get(key))}
)


class TimeLimitExceeded(BaseException):
    """Raised inside the learner's code when a block of checks runs too long.

    A BaseException, like KeyboardInterrupt, so that `except Exception:` in
    the learner's code cannot swallow it.
    """


def exercise(title, *, time_limit=None):
    """A context manager that runs checks and explains failures (see the module docstring).

    `time_limit` is in seconds (default: $MLKIT_GRADING_TIME_LIMIT, else 30).
    """
    return Exercise(title, time_limit=time_limit)


# The exercises running now (innermost last): how an error inside a check is explained.
_running = []


class Exercise:
    """At autograde, the block also runs in the sandbox ("probe" mode: its records
    leave the kernel) and again in the trusted grader ("judge" mode: it is judged
    from those records); see mlkit.grading.probe_channel."""

    def __init__(self, title, time_limit=None):
        self.title = title
        self.time_limit = _time_limit(time_limit)
        self.test_file = None
        self._alarm = None

    def __enter__(self):
        # The code of the `with` block is the test's own: never shown, never blamed.
        self.test_file = sys._getframe(1).f_code.co_filename
        mode = probe_channel.mode()
        if mode == "judge":
            probe_channel.next_record("exercise", title=self.title)
        elif mode == "probe":
            probe_channel.emit({"kind": "exercise", "title": self.title,
                                "replaced": probe_channel.replaced_since_start()})
        self._alarm = _Alarm(self.time_limit if mode != "judge" else None)
        self._alarm.start()
        _running.append(self)
        return self

    def __exit__(self, error_type, error, traceback):
        self._alarm.stop()
        _running.remove(self)
        mode = probe_channel.mode()
        if mode == "judge":
            error = self._judge_end(error)
        if isinstance(error, probe_channel.Unjudgeable):
            return False
        if error is None:
            print(f"✓ {self.title}")
            if mode == "probe":
                probe_channel.emit({"kind": "end", "title": self.title, "failure": None})
            return False
        failure = current_explanation(error, self)
        if mode == "probe":
            probe_channel.emit({"kind": "end", "title": self.title,
                                "failure": probe_channel.failure_fields(failure)})
        raise failure from None

    def _judge_end(self, error):
        """Judge mode: the kernel's end-of-exercise record; a failure it reports counts."""
        if error is not None:
            probe_channel.skip_to_end_of_exercise()
            if isinstance(error, (GradingFailure, probe_channel.Unjudgeable)):
                return error
            if probe_channel.raised_by_test_code(error):
                return probe_channel.Unjudgeable(f"the test code could not run on placeholders ({type(error).__name__})")
            return GradingFailure(problem="Your notebook's results for this exercise could not be judged: "
                                          f"{type(error).__name__} while judging them.")
        try:
            end = probe_channel.next_record("end", title=self.title)
        except GradingFailure as mismatch:
            return mismatch
        return probe_channel.failure_from_fields(end["failure"]) if end.get("failure") else None


def current_explanation(error, running=None):
    """The GradingFailure explaining `error` in the exercise running now (or `running`)."""
    running = running or (_running[-1] if _running else None)
    title = running.title if running else None
    try:
        return explain(error, title, running.test_file if running else None,
                       running.time_limit if running else None)
    except Exception:  # an error too odd to describe (its str() fails...): still no traceback
        return GradingFailure(problem=f"Your code raised {type(error).__name__} during this check.", title=title)


def explain(error, title, test_file, time_limit=None):
    """The `GradingFailure` that tells a learner what `error` means for them."""
    if isinstance(error, GradingFailure):
        if not error.title:
            error.title = title
        return error
    frames = _frames(error.__traceback__)
    learner = [frame for frame in frames if _is_learner_code(frame.f_code.co_filename, test_file)]
    where = _where(learner[-1]) if learner else None

    raised_by_learner = bool(learner) and frames[-1] is learner[-1]
    if isinstance(error, NotImplementedError) and raised_by_learner:
        return UnfinishedExercise(_function_name(learner[-1]), title=title)
    if isinstance(error, NameError) and frames and frames[-1].f_code.co_filename == test_file:
        name = getattr(error, "name", None) or str(error)
        problem, hint = cell_history.explain_missing_name(name)
        return GradingFailure(problem=problem, hint=hint, title=title)
    if isinstance(error, TimeLimitExceeded):
        return GradingFailure(
            problem=f"This check did not finish within {time_limit:g} seconds, so it was stopped.",
            where=where and f"it was running {where}",
            hint="a loop that never ends (a `while` whose condition stays true?), or a "
                 "computation far bigger than needed.",
            title=title,
        )
    if isinstance(error, KeyboardInterrupt):
        return GradingFailure(
            problem="This check was stopped before it finished: it ran longer than the time "
                    "allowed for a cell (or the stop button was pressed).",
            where=where and f"it was running {where}",
            hint="a loop that never ends (a `while` whose condition stays true?).",
            title=title,
        )
    return GradingFailure(
        problem=f"Your code raised an error during this check:\n{_error_text(error)}",
        where=where,
        hint=_hint_for(error),
        title=title,
    )


def _error_text(error):
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _hint_for(error):
    if isinstance(error, RecursionError):
        return ("a function that calls itself without end, e.g. `call` calling `self(inputs)` "
                "(which runs `__call__`, which runs `call` again). In `call`, compute with ops.")
    if isinstance(error, MemoryError):
        return "an array far bigger than needed (check the shapes you create)."
    if isinstance(error, ValueError) and "after it was built" in str(error):
        from mlkit.grading.layer_helpers import new_state_hint

        return new_state_hint(error)
    if isinstance(error, ValueError) and "matmul" in str(error):
        return ("the shapes do not fit: in inputs @ kernel, the kernel's first axis must equal the "
                "inputs' last axis, so create it with shape (input_shape[-1], units).")
    if isinstance(error, TypeError) and any(f"unexpected keyword argument '{key}'" in str(error)
                                            for key in ("name", "trainable", "dtype")):
        return ("give __init__ a `**kwargs` parameter and pass it on: super().__init__(**kwargs). "
                "The base class handles name, trainable and dtype.")
    if isinstance(error, TypeError):
        from mlkit.grading.layer_helpers import MISSING_DEFAULT_HINT, is_missing_default

        if is_missing_default(error):
            return MISSING_DEFAULT_HINT
    if isinstance(error, TypeError) and "positional argument" in str(error):
        return ("check the method's parameters: __init__(self, ..., **kwargs), build(self, input_shape), "
                "call(self, inputs).")
    if isinstance(error, AttributeError) and _base_class_not_initialized(error):
        return ("you forgot to call super().__init__(): start __init__ with super().__init__(**kwargs), "
                "which sets up the weights, name and losses of the layer.")
    if isinstance(error, AttributeError) and "object has no attribute" in str(error):
        return ("an attribute that was never set: create it in __init__ or build "
                "(with the exact name the exercise asks for) before call uses it.")
    if isinstance(error, ValueError) and "returned None" in str(error):
        return "a `return` is missing: a function without one returns None."
    return None


def _base_class_not_initialized(error):
    """Whether an AttributeError comes from a layer (or loss) whose base __init__ never ran."""
    from mlkit.layers import Layer
    from mlkit.losses import Loss

    owner = getattr(error, "obj", None)
    if isinstance(owner, Layer):
        return "_trainable_variables" not in vars(owner)
    return isinstance(owner, Loss) and "reduction" not in vars(owner)


def _frames(traceback):
    frames = []
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    return frames


def _is_learner_code(filename, test_file):
    """Code from a notebook cell (or a learner's file), not the test and not a library."""
    if filename == test_file or filename.startswith("<frozen"):
        return False
    path = os.path.realpath(filename) if not filename.startswith("<") else filename
    return not path.startswith((_MLKIT_DIR + os.sep,) + tuple(d + os.sep for d in _LIBRARY_DIRS))


def _function_name(frame):
    name = frame.f_code.co_qualname
    return "your code" if name == "<module>" else f"`{name}`"


def _where(frame):
    """'`SimpleDense.call`, line 12 of its cell: `return ops.matmul(...)`'."""
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno).strip()
    place = "your cell" if code.co_qualname == "<module>" else f"`{code.co_qualname}`"
    text = f"{place}, line {frame.f_lineno} of its cell"
    return f"{text}: `{line}`" if line else text


def _time_limit(value):
    if value is None:
        value = os.environ.get(TIME_LIMIT_VARIABLE) or DEFAULT_TIME_LIMIT
    try:
        value = float(value)
    except ValueError:
        raise ValueError(
            f"grading.exercise: the time limit must be a number of seconds, got {value!r} "
            f"(from ${TIME_LIMIT_VARIABLE}?)."
        ) from None
    return value if value > 0 else None


class _Alarm:
    """Raise TimeLimitExceeded in the main thread after `seconds` (Unix only; else a no-op)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self._previous = None
        self._active = False

    def start(self):
        usable = (
            self.seconds
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        if usable:
            self._previous = signal.signal(signal.SIGALRM, self._ring)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._active = True

    def _ring(self, signum, frame):
        raise TimeLimitExceeded(self.seconds)

    def stop(self):
        if self._active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._active = False
