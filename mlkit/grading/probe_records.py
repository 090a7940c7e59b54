"""`probe_records`: the records a sandboxed kernel sends, and how the judge reads them back.

In "probe" mode (the sandboxed kernel at autograde) each check's
observations leave the kernel as one record: a display output whose type
is `RECORD_TYPE` and whose content is plain JSON (`emit`). In "judge" mode
(the trusted grader) the same test cell runs again and reads those records
in order (`judging`, `next_record`): a record that is missing, out of
order or of the wrong kind is a `RecordMismatch`, which fails the check.

`state` holds the mode of this process and, while judging, the records of
one test cell and how far they have been read. A failure the kernel
reports travels as plain strings (`failure_fields`, `failure_from_fields`):
its text is shown, never run.
"""

import contextlib
import os

from mlkit.grading.failure import MISSING, GradingFailure

RECORD_TYPE = "application/vnd.mlkit.grading-record+json"
MODE_VARIABLE = "MLKIT_GRADING_MODE"
# A record larger than this (bytes of JSON) is not sent: the check fails instead.
RECORD_LIMIT = 4 * 2**20
_FAILURE_FIELDS = ("checked", "expected", "got", "hint", "where", "problem", "title")


class RecordMismatch(GradingFailure):
    """The kernel's records do not fit the checks the trusted grader runs."""

    def __init__(self, what):
        super().__init__(problem=f"The results your notebook sent for this check are missing or do not fit it ({what}).",
                         hint="the test cell did not run as written (was it changed, or the notebook's code "
                              "stopped it?). Run the notebook from the top and make sure the test cell runs.")


class _State:
    mode = os.environ.get(MODE_VARIABLE, "local")
    records = None      # judge mode: the kernel's records of one test cell, in order
    position = 0
    depth = 0           # observing() blocks open: a check called by a check only judges
    opaque = []         # judge mode: descriptions of values that were not plain data
    tampered = []       # judge mode: what the kernel reported replaced


state = _State()


def mode():
    return state.mode


@contextlib.contextmanager
def judging(records):
    """Judge mode for the block: observations are read from `records` (a list of plain dicts)."""
    previous = (state.mode, state.records, state.position, state.depth, state.opaque, state.tampered)
    state.mode, state.records, state.position, state.depth, state.opaque, state.tampered = (
        "judge", list(records), 0, 0, [], [])
    try:
        yield
    finally:
        state.mode, state.records, state.position, state.depth, state.opaque, state.tampered = previous


def emit(record):
    """Probe mode: send a record out of the kernel (as a display output)."""
    from IPython.display import publish_display_data

    publish_display_data({RECORD_TYPE: record})


def next_record(kind, **expected):
    """Judge mode: the next record, which must be of `kind` with the `expected` fields."""
    if state.position >= len(state.records):
        raise RecordMismatch(f"no result for {kind} {expected.get('name') or expected.get('title') or ''}".strip())
    record = state.records[state.position]
    if kind == "check" and isinstance(record, dict) and record.get("kind") == "end" and record.get("failure"):
        # The learner's code failed before this check (while its arguments were computed):
        # that failure is the exercise's (its end record stays for the exercise to pass over).
        raise failure_from_fields(record["failure"])
    state.position += 1
    if not isinstance(record, dict) or record.get("kind") != kind or any(
            record.get(key) != value for key, value in expected.items()):
        raise RecordMismatch(f"expected {kind} {expected}, got {_short(record)}")
    if isinstance(record.get("replaced"), list):
        state.tampered += [str(name)[:80] for name in record["replaced"][:10]]
    return record


def skip_to_end_of_exercise():
    """Judge mode: pass over the rest of an exercise's records (after it failed here)."""
    while state.position < len(state.records):
        record = state.records[state.position]
        state.position += 1
        if isinstance(record, dict) and record.get("kind") == "end":
            return


# -- failures as plain data ----------------------------------------------------

def failure_fields(failure):
    """A GradingFailure's explanation as plain strings (how a kernel's failure travels)."""
    from mlkit.grading.formatting import describe

    fields = {}
    for name in _FAILURE_FIELDS:
        value = getattr(failure, name, None)
        if value is MISSING or value is None:
            continue
        fields[name] = value if isinstance(value, str) or name not in ("expected", "got") else describe(value)
        fields[name] = str(fields[name])[:2000]
    fields["unfinished"] = type(failure).__name__ == "UnfinishedExercise"
    return fields


def failure_from_fields(fields):
    """The GradingFailure a kernel reported (strings only; its text is shown, never run)."""
    if not isinstance(fields, dict):
        return RecordMismatch("a failure that is not plain data")
    text = {name: str(fields[name])[:2000] for name in _FAILURE_FIELDS if isinstance(fields.get(name), str)}
    return GradingFailure(
        text.get("checked"), expected=text.get("expected", MISSING), got=text.get("got", MISSING),
        hint=text.get("hint"), where=text.get("where"), problem=text.get("problem"),
    )


def _short(record):
    text = repr(record)
    return text if len(text) < 120 else text[:117] + "..."
