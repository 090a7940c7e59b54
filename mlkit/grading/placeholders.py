"""`placeholders`: the inert values the trusted grader judges with.

When the judge runs a test cell again, outside the sandbox, the student's
names are bound to `Placeholder`s: anything done to one gives another, and
asking for its truth, its number or an equality stops the judgment
(`Unjudgeable`), so no check can pass on a placeholder. A value the kernel
reported that is not plain data arrives as an `Opaque` value: shown by its
description, equal to nothing.

`require_trusted` stops the judgment when a value the verdict relies on (an
expected value, a listed mistake) was computed from the student's objects;
`raised_by_test_code` tells an error of the test cell's own code, working on
placeholders, from a check's verdict.
"""

import os

from mlkit.grading.probe_records import state


class Unjudgeable(BaseException):
    """The trusted grader met test code it cannot run on placeholders (it uses a student
    value in a condition, or a check that is not split into observation and judgment)."""


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


