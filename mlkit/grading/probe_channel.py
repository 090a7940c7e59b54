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
"""

import base64
import contextlib
import io
import math
import os

import numpy as np

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


class Unjudgeable(BaseException):
    """The trusted grader met test code it cannot run on placeholders (it uses a student
    value in a condition, or a check that is not split into observation and judgment)."""


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


# -- plain data --------------------------------------------------------------

def encode(value, depth=0):
    """`value` as JSON-ready plain data: what may leave the sandbox."""
    if depth > 20:
        return {"opaque": "a structure nested too deeply"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 2**53 else {"int": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (np.ndarray, np.generic)):
        if type(value) is not np.ndarray and isinstance(value, np.ndarray):
            return {"opaque": f"an array of a subclass {type(value).__name__}"}
        return {"npy": _npy(value)} if not np.asarray(value).dtype.hasobject else {"opaque": "an array of objects"}
    data = getattr(value, "data", None)
    if isinstance(data, (np.ndarray, np.generic)) and hasattr(value, "shape") and not np.asarray(data).dtype.hasobject:
        return {"tensor": _npy(data)}
    if isinstance(value, tuple):
        return {"tuple": [encode(item, depth + 1) for item in value]}
    if isinstance(value, list):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": {key: encode(item, depth + 1) for key, item in value.items()}}
    return {"opaque": f"a {type(value).__name__}"}


def decode(plain):
    """The value `encode` described, built from plain data only (no pickle, no code)."""
    if plain is None or isinstance(plain, (bool, str, int, float)):
        return plain
    if isinstance(plain, list):
        return [decode(item) for item in plain]
    if not isinstance(plain, dict) or len(plain) != 1:
        return Opaque("a value that is not plain data")
    (kind, content), = plain.items()
    if kind == "int":
        return int(str(content)[:400])
    if kind == "float":
        return float(content) if content in ("nan", "inf", "-inf") else Opaque("a bad number")
    if kind in ("npy", "tensor"):
        array = _array(content)
        if array is None:
            return Opaque("an unreadable array")
        if kind == "tensor":
            return RecordedTensor(array)
        return array[()] if array.ndim == 0 else array
    if kind == "tuple" and isinstance(content, list):
        return tuple(decode(item) for item in content)
    if kind == "dict" and isinstance(content, dict):
        return {str(key): decode(item) for key, item in content.items()}
    if kind == "opaque":
        return Opaque(str(content)[:200])
    return Opaque("a value that is not plain data")


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _array(text):
    """The array in `.npy` bytes (base64), read without pickle; None when unreadable."""
    try:
        array = np.load(io.BytesIO(base64.b64decode(str(text))), allow_pickle=False)
    except Exception:
        return None
    return array if isinstance(array, np.ndarray) else None


class RecordedTensor:
    """A tensor's values as the kernel reported them (what checks read: `.data`, `.shape`)."""

    def __init__(self, data):
        self.data = data
        self.shape = data.shape
        self.dtype = data.dtype

    def numpy(self):
        return self.data

    def __repr__(self):
        return f"<tensor shape={self.shape} dtype={self.dtype}>"


class Opaque:
    """A reported value that is not plain data: shown by its description, equal to nothing."""

    def __init__(self, description):
        self.description = description
        if state.mode == "judge":
            state.opaque.append(description)

    def __eq__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return self.description


class Placeholder:
    """What a student's name stands for in the trusted grader: inert, never believed.

    Anything done to it gives another placeholder; asking for its truth or
    comparing it stops the judgment (`Unjudgeable`), so no check can pass on it.
    """

    __array_ufunc__ = None  # NumPy defers to the placeholder's own operators

    def __init__(self, description="a student value"):
        object.__setattr__(self, "_description", description)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Placeholder(self._description)

    def __setattr__(self, name, value):
        pass

    def __call__(self, *args, **kwargs):
        return Placeholder(self._description)

    def __getitem__(self, key):
        return Placeholder(self._description)

    def __setitem__(self, key, value):
        pass

    def __iter__(self):
        return iter((Placeholder(self._description),))

    def __len__(self):
        return 1

    def __bool__(self):
        raise Unjudgeable("a student value is used in a condition")

    def _as_number(self, *args):
        raise Unjudgeable("a student value is used as a number")

    __array__ = __float__ = __int__ = __index__ = __complex__ = _as_number

    def __mro_entries__(self, bases):
        raise Unjudgeable("the test code builds a class on a student's class")

    def __eq__(self, other):
        raise Unjudgeable("a student value is compared")

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__

    def __repr__(self):
        return f"<{self._description}>"

    def __str__(self):
        return repr(self)

    def _same(self, *args):
        return Placeholder(self._description)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __matmul__ = __rmatmul__ = __pow__ = __rpow__ = __neg__ = __floordiv__ = __mod__ = _same


def raised_by_test_code(error):
    """Judge mode: whether `error` came from the test cell's own code working on placeholders
    (then the test cannot be judged here) rather than from a check judging records."""
    import traceback

    grading_folder = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frames = traceback.extract_tb(error.__traceback__)
    return not any(frame.filename.startswith(grading_folder)
                   and not frame.filename.endswith(("judge.py", "exercise.py")) for frame in frames)


def require_trusted(*values):
    """Judge mode: stop judging (`Unjudgeable`) when a value the judgment relies on (an
    expected value, a listed mistake) was computed from the student's objects."""
    if state.mode == "judge" and state.depth == 0 and any(_holds_placeholder(value) for value in values):
        raise Unjudgeable("an expected value depends on the student's objects")


def _holds_placeholder(value, depth=0):
    if isinstance(value, Placeholder):
        return True
    if depth > 5:
        return False
    if isinstance(value, dict):
        return any(_holds_placeholder(item, depth + 1) for item in list(value.values()) + list(value.keys()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_placeholder(item, depth + 1) for item in value)
    return False


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
