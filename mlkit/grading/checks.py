"""General checks for test cells: each raises a `GradingFailure` that explains itself.

Each check observes the learner's values through `observing` (see
probe_channel: at autograde they travel as plain data and are judged by
the trusted grader), then judges them. Every check takes `checked`, a phrase saying what was looked at in the
learner's terms, and an optional `hint`, the likely mistake; `check_equal`
and `check_close` also recognize listed wrong answers (`mistakes`).

    >>> check_equal(2 + 2, 4, "2 + 2")
    >>> try:
    ...     check_equal(4736, 4810, "count_parameters([64, 64, 10])",
    ...                 mistakes={"the biases are missing": 4736})
    ... except GradingFailure as failure:
    ...     print(failure)
      Checked:  count_parameters([64, 64, 10])
      Expected: 4810
      Got:      4736
      Likely mistake: the biases are missing
"""

import builtins
import sys

import numpy as np

from mlkit.grading import cell_history
from mlkit.grading.failure import MISSING, GradingFailure
from mlkit.grading.formatting import shape_of
from mlkit.grading.probe_channel import observing, require_trusted

NOTHING_RETURNED_HINT = "a `return` is missing: a function (or call()) without one returns None."


def check(condition, checked, *, expected=MISSING, got=MISSING, hint=None):
    """Fail with the given explanation unless `condition` is true."""
    with observing("check") as probe:
        condition = probe.value(lambda: bool(condition))
    if condition is not True:
        raise GradingFailure(checked, expected=expected, got=got, hint=hint)


def check_equal(got, expected, checked, *, hint=None, mistakes=None):
    """`got == expected` (arrays: same shape and values; numbers: exactly equal).

    `mistakes` maps the description of a plausible wrong answer to the value
    it gives; when `got` is one of them, that description is the hint.
    """
    require_trusted(expected, mistakes)
    with observing("check_equal") as probe:
        got = probe.value(lambda: got)
    if not _equal(got, expected):
        if got is None and expected is not None:
            hint = NOTHING_RETURNED_HINT
        hint = _recognized(got, mistakes, _equal) or hint
        raise GradingFailure(checked, expected=expected, got=got, hint=hint)


def check_close(got, expected, checked, *, rtol=1e-5, atol=1e-6, hint=None, mistakes=None):
    """Arrays (or numbers) of the same shape, equal up to `rtol`/`atol`.

    The message names the first wrong position and how many values differ;
    `mistakes` works as in `check_equal`.
    """
    require_trusted(expected, mistakes)
    with observing("check_close") as probe:
        got = probe.value(lambda: got)
    if mistakes:
        close = lambda a, b: _close(a, b, rtol, atol)
        hint = (None if close(got, expected) else _recognized(got, mistakes, close)) or hint
    if got is None:
        raise GradingFailure(checked, expected=expected, got="None (no value was returned)",
                             hint=NOTHING_RETURNED_HINT)
    got_array, expected_array = _numpy(got), np.asarray(_numpy(expected))
    if not isinstance(got_array, np.ndarray):
        try:
            got_array = np.asarray(got_array, dtype=float)
        except (TypeError, ValueError):
            raise GradingFailure(checked, expected=expected, got=got, hint=hint) from None
    if got_array.shape != expected_array.shape:
        raise GradingFailure(
            f"{checked}: the shape", expected=tuple(expected_array.shape),
            got=tuple(got_array.shape), hint=hint,
        )
    if got_array.dtype.kind not in "biuf":
        raise GradingFailure(checked, expected="numbers", got=f"values of dtype {got_array.dtype}", hint=hint)
    got_float, expected_float = got_array.astype(float), expected_array.astype(float)
    wrong = ~np.isclose(got_float, expected_float, rtol=rtol, atol=atol, equal_nan=False)
    if not wrong.any():
        return
    if got_array.ndim == 0:
        raise GradingFailure(checked, expected=expected_float.item(), got=got_float.item(), hint=hint)
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    raise GradingFailure(
        f"{checked}: {int(wrong.sum())} of {wrong.size} values differ; the first at index {first}",
        expected=float(expected_float[first]), got=float(got_float[first]), hint=hint,
    )


def check_shape(value, expected_shape, checked, *, hint=None):
    """`value` is an array or tensor of shape `expected_shape`."""
    with observing("check_shape") as probe:
        shape = probe.value(lambda: shape_of(value))
        description = probe.value(lambda: None if shape is not None else f"{type(value).__name__} {value!r}"[:300])
    if not isinstance(shape, tuple):
        raise GradingFailure(
            checked, expected=f"an array or tensor of shape {tuple(expected_shape)}",
            got=str(description), hint=hint,
        )
    if shape != tuple(expected_shape):
        raise GradingFailure(f"{checked}: the shape", expected=tuple(expected_shape), got=shape, hint=hint)


def check_type(value, expected_type, checked, *, hint=None):
    """`value` is an instance of `expected_type` (a class or a tuple of classes)."""
    with observing("check_type") as probe:
        is_instance = probe.value(lambda: isinstance(value, expected_type))
        description = probe.value(lambda: f"a {type(value).__name__}: {value!r}"[:300])
    if is_instance is not True:
        names = " or ".join(t.__name__ for t in (expected_type if isinstance(expected_type, tuple) else (expected_type,)))
        article = "an" if names[:1].lower() in ("a", "e", "i", "o", "u") else "a"
        raise GradingFailure(checked, expected=f"{article} {names}", got=str(description), hint=hint)


def check_raises(error_type, function, checked, *, hint=None, match=None):
    """Calling `function()` raises `error_type` (whose message contains `match`, if given)."""
    with observing("check_raises") as probe:
        raised, expected_kind, message = probe.value(lambda: _outcome(function, error_type))
    if raised is None:
        raise GradingFailure(checked, expected=f"{error_type.__name__}", got="no error at all", hint=hint)
    got = f"{raised}: {message}"
    if expected_kind is not True:
        raise GradingFailure(checked, expected=f"{error_type.__name__}", got=got, hint=hint)
    if match is not None and match not in str(message):
        raise GradingFailure(checked, expected=f"{error_type.__name__} mentioning {match!r}", got=got, hint=hint)


def _outcome(function, error_type):
    """(name of the error `function()` raised or None, whether it is an `error_type`, its message)."""
    try:
        function()
    except Exception as error:
        return type(error).__name__, isinstance(error, error_type), str(error)[:1000]
    return None, False, ""


def check_defined(*names):
    """Every name in `names` is defined in the notebook (else: which cell to run or fix)."""
    namespace = sys._getframe(1).f_globals
    with observing("check_defined") as probe:
        missing = probe.value(lambda: [list(cell_history.explain_missing_name(name)) for name in names
                                       if name not in namespace and not hasattr(builtins, name)][:1])
    if missing:
        problem, hint = (list(missing[0]) + [None, None])[:2]
        raise GradingFailure(problem=str(problem), hint=hint and str(hint))


def _recognized(got, mistakes, same):
    for description, wrong in (mistakes or {}).items():
        if same(got, wrong):
            return description
    return None


def _equal(got, expected):
    got, expected = _numpy(got), _numpy(expected)
    if isinstance(got, np.ndarray) or isinstance(expected, np.ndarray):
        return np.array_equal(got, expected)
    return _plain_equal(got, expected)


def _close(got, expected, rtol, atol):
    try:
        got, expected = np.asarray(_numpy(got), dtype=float), np.asarray(_numpy(expected), dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _numpy(value):
    """The NumPy value behind a tensor or variable (0-d ones hold a NumPy scalar); else `value`."""
    data = getattr(value, "data", None)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)
    return value


def _plain_equal(got, expected):
    if isinstance(got, bool) or isinstance(expected, bool):
        return got is expected  # True is not the number 1 here
    try:
        return bool(got == expected)
    except Exception:  # an object with an unusual __eq__: not equal
        return False
