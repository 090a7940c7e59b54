"""`probe_channel`: how a check's observations of student code travel as plain data.

A check does two things: it *observes* the student's objects (build this
layer, call it on that input, read its weights) and it *judges* what it
saw (compare with the reference, choose the explanation). The two run in
different places depending on the mode:

- "local" (a learner's own notebook): both, in the same process, on the
  learner's objects. Nothing here is trusted, nothing needs to be.
- "probe" (the sandboxed kernel at autograde): the observations run, each
  value is turned into plain data (numbers, strings, lists, shapes, arrays
  as `.npy` bytes) and the check's observations leave the kernel as one
  record, a display output of type `RECORD_TYPE`.
- "judge" (the trusted grader): the same test cell runs again, outside the
  sandbox, with the student's names bound to inert placeholders; each
  observation is not run but read back from the kernel's records, and the
  judgment is made here. What the kernel computed about itself is never
  believed: only the values it reported, judged as plain data.

A check is written once, for all three modes:

    def check_equal(got, expected, checked):
        with observing("check_equal") as probe:
            got = probe.value(lambda: got)       # plain data, read back when judging
        if got != expected: raise GradingFailure(...)

`probe.value(thunk)` gives a plain value; `probe.handle(thunk)` gives an
object that stays in the kernel (a layer to call again): an inert
placeholder when judging. A student error inside either is recorded where it
happened, so the judge fails the check at the same step, with the same
explanation.

The channel's parts are in modules of their own: `probe_records` (the
records, the mode, reading them back), `plain_data` (what may leave the
sandbox: `encode`, `decode`) and `placeholders` (the inert values judged
with: `Placeholder`, `Opaque`, `Unjudgeable`). This module holds the probe
itself and what the kernel watches for tampering; every name of the parts
can be imported from here too.
"""

import contextlib

import numpy as np

from mlkit.grading import placeholders, plain_data, probe_records
from mlkit.grading.placeholders import (  # noqa: F401 (the channel's names, importable from here)
    Opaque, Placeholder, Unjudgeable, raised_by_test_code, require_trusted,
)
from mlkit.grading.plain_data import RecordedTensor, decode, encode  # noqa: F401
from mlkit.grading.probe_records import (  # noqa: F401
    MODE_VARIABLE, RECORD_LIMIT, RECORD_TYPE, RecordMismatch, emit, failure_fields, failure_from_fields, judging,
    mode, next_record, skip_to_end_of_exercise, state,
)


def _watched():
    """What checks rely on in the kernel, as it is now (compared with the same at import)."""
    import builtins
    import sys

    watched = {f"builtins.{name}": getattr(builtins, name, None)
               for name in ("isinstance", "len", "print", "__import__", "getattr", "type")}
    watched.update({f"numpy.{name}": getattr(np, name, None)
                    for name in ("asarray", "allclose", "isclose", "array_equal", "save")})
    watched.update({"sys.modules['numpy']": sys.modules.get("numpy"),
                    "sys.modules['mlkit.grading']": sys.modules.get("mlkit.grading")})
    grading = sys.modules.get("mlkit.grading")
    exercise_module = sys.modules.get("mlkit.grading.exercise")
    watched["mlkit.grading.exercise"] = getattr(grading, "exercise", None)
    channel = sys.modules.get(__name__)
    watched.update({f"probe_channel.{name}": getattr(channel, name, None) for name in ("encode", "emit", "observing")})
    watched.update({"probe_records.emit": probe_records.emit, "plain_data.encode": plain_data.encode,
                    "plain_data.decode": plain_data.decode, "placeholders.Placeholder": placeholders.Placeholder})
    watched["Exercise.__exit__"] = getattr(getattr(exercise_module, "Exercise", None), "__exit__", None)
    return watched


def replaced_since_start():
    """Probe mode: the watched names that no longer hold what they held when grading began."""
    if _ORIGINAL is None:
        return []
    now = _watched()
    return [name for name, value in _ORIGINAL.items() if now.get(name) is not value and value is not None]


_ORIGINAL = None


def remember_originals():
    """Probe mode: note what the watched names hold, when mlkit.grading is first imported
    (by a notebook's setup cell, before any of the learner's cells)."""
    global _ORIGINAL
    if _ORIGINAL is None:
        _ORIGINAL = _watched()


class Probe:
    """The observations of one check (see the module docstring)."""

    def __init__(self, name, mode):
        self.name = name
        self.mode = mode
        self.values = []
        self.error = None
        self.recorded = None

    def value(self, thunk):
        """`thunk()` (which touches student objects) as plain data."""
        if self.mode == "judge":
            return self._replay()
        if self.mode == "local":
            return thunk()
        plain = self._run(thunk, encode)
        return decode(plain)

    def handle(self, thunk):
        """`thunk()`, an object that stays with the student's code (a placeholder when judging)."""
        if self.mode == "judge":
            self._replay()
            return Placeholder("an object of the student's notebook")
        if self.mode == "local":
            return thunk()
        self._run(thunk, lambda _: None)
        return self._last_object

    def _run(self, thunk, convert):
        try:
            result = thunk()
        except BaseException as error:
            from mlkit.grading.exercise import current_explanation

            self.error = failure_fields(current_explanation(error))
            raise
        self._last_object = result
        plain = convert(result)
        self.values.append(plain)
        return plain

    def _replay(self):
        index = len(self.values)
        self.values.append(None)
        if index < len(self.recorded["values"]):
            return decode(self.recorded["values"][index])
        if index == len(self.recorded["values"]) and self.recorded.get("error"):
            raise failure_from_fields(self.recorded["error"])
        raise RecordMismatch(f"{self.name} reported {len(self.recorded['values'])} values, the check needs more")


@contextlib.contextmanager
def observing(name):
    """The observations of the check `name`, recorded (probe) or read back (judge)."""
    outer = state.depth > 0
    state.depth += 1
    probe = Probe(name, "local" if outer else state.mode)
    try:
        if probe.mode == "judge":
            probe.recorded = next_record("check", name=name)
            if not isinstance(probe.recorded.get("values"), list):
                raise RecordMismatch(f"{name} sent no values")
        yield probe
    finally:
        state.depth -= 1
        if probe.mode == "probe":
            record = {"kind": "check", "name": name, "values": probe.values, "error": probe.error}
            if len(repr(record)) > RECORD_LIMIT:
                record = {"kind": "check", "name": name, "values": [],
                          "error": {"problem": "A value your code produced in this check was too large to grade."}}
            emit(record)


