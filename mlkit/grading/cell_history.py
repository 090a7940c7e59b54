"""Which notebook cells ran and how they ended, to explain a missing name.

When the cell that defines `SimpleDense` fails (a syntax error, a missing
import), every later test cell would only say `NameError: name
'SimpleDense' is not defined`. Importing `mlkit.grading` inside IPython
registers a hook that remembers each cell's source and error, so a test
cell can say instead which cell failed and why.

    >>> record("class SimpleDense(Layer)\\n    pass", SyntaxError("expected ':'"))
    >>> print(explain_missing_name("SimpleDense")[0])
    `SimpleDense` is not defined: the cell that defines it stopped with an error, so it never ran to the end.
    That cell said: SyntaxError: expected ':'
    >>> clear()
"""

import re
from collections import deque

# The most recent cells are enough: a learner rarely scrolls back further.
_records = deque(maxlen=300)
_HOOK_MARK = "_mlkit_grading_cell_history"


def install():
    """Record every cell run from now on, when running inside IPython (else do nothing)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, _HOOK_MARK, False):
        return
    shell.events.register("post_run_cell", _after_cell)
    setattr(shell, _HOOK_MARK, True)


def _after_cell(result):
    source = getattr(getattr(result, "info", None), "raw_cell", None) or ""
    record(source, result.error_before_exec or result.error_in_exec)


def record(source, error=None):
    """Remember that a cell with `source` ran and ended with `error` (None: it finished)."""
    _records.append((source, error))


def clear():
    _records.clear()


def defines(source, name):
    """Whether `source` defines `name` at some line (def, class, assignment or import)."""
    word = re.escape(name)
    pattern = (
        rf"^\s*(?:async\s+)?(?:def|class)\s+{word}\b"
        rf"|^\s*{word}\s*(?::[^=\n]*)?=(?!=)"
        rf"|^\s*(?:from\s+\S+\s+)?import\s.*\b{word}\b"
    )
    return re.search(pattern, source, flags=re.MULTILINE) is not None


def explain_missing_name(name):
    """(problem, hint) sentences for a test that needs `name`, which is not defined."""
    for source, error in reversed(_records):
        if not defines(source, name):
            continue
        if error is not None:
            return (
                f"`{name}` is not defined: the cell that defines it stopped with an error, "
                f"so it never ran to the end.\nThat cell said: {_one_line(error)}",
                "fix that cell and run it again (it should finish without a red error), "
                "then run this test cell.",
            )
        return (
            f"`{name}` is not defined, although a cell that mentions it ran.",
            f"define `{name}` at the top level of its cell (not inside a function or an "
            "`if`), and keep its name exactly as the exercise asks.",
        )
    return (
        f"`{name}` is not defined yet.",
        f"run the cell where you define `{name}` first, then this test cell. After a kernel "
        "restart, run all the cells above this one (Run > Run All Above Selected Cell).",
    )


def _one_line(error):
    """'SyntaxError: invalid syntax (line 3: `def f(:`)' — the error and where it happened."""
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    if isinstance(error, KeyboardInterrupt):
        return "KeyboardInterrupt (it was stopped before it finished: a loop that never ends?)"
    if isinstance(error, SyntaxError):
        text = f"SyntaxError: {error.msg}"
        if error.lineno:
            code = (error.text or "").strip()
            text += f" (line {error.lineno}" + (f": `{code}`)" if code else ")")
        return text
    line = _cell_line(error)
    return f"{text} (line {line})" if line else text


def _cell_line(error):
    """The line of the cell itself (the outermost frame) where `error` was raised."""
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if "ipykernel_" in filename or filename.startswith("<ipython-input"):
            return traceback.tb_lineno
        traceback = traceback.tb_next
    return None
