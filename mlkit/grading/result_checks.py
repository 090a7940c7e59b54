"""Checks of a value the test computes from the learner's objects (notebooks 04 and 05).

Some tests need more than one call of the learner's code before there is
something to compare: a model built around the learner's layer, compiled,
trained, then evaluated. Such a test hands the whole computation to the
check as a function of no arguments, `compute`: the check runs it where the
learner's objects live (their kernel) and judges the plain value it gave
(at autograde, in the trusted grader; see probe_channel). The expected
value, the listed mistakes and the condition are the test's own, never
computed from the learner's objects.

    >>> check_result_close(lambda: 0.1 + 0.2, 0.3, "0.1 + 0.2")
    >>> check_result(lambda: [2.0, 0.5], lambda losses: losses[-1] < 0.5 * losses[0], "the loss",
    ...              expected="it halves", got=lambda losses: f"from {losses[0]} to {losses[-1]}")
    >>> try:
    ...     check_result(lambda: [2.0, 1.5], lambda losses: losses[-1] < 0.5 * losses[0], "the loss",
    ...                  expected="it halves", got=lambda losses: f"from {losses[0]} to {losses[-1]}")
    ... except GradingFailure as failure:
    ...     print(failure)
      Checked:  the loss
      Expected: it halves
      Got:      from 2.0 to 1.5
"""

from mlkit.grading.checks import check_close, check_equal
from mlkit.grading.failure import MISSING, GradingFailure
from mlkit.grading.probe_channel import observing, require_trusted


def check_result_equal(compute, expected, checked, *, hint=None, mistakes=None):
    """`compute()` (run on the learner's objects) equals `expected`, as `check_equal` judges it."""
    require_trusted(expected, mistakes)
    with observing("check_result_equal") as probe:
        got = probe.value(compute)
        # Judged inside the block: check_equal judges this plain value, not a new one.
        check_equal(got, expected, checked, hint=hint, mistakes=mistakes)


def check_result_close(compute, expected, checked, *, rtol=1e-5, atol=1e-6, hint=None, mistakes=None):
    """`compute()` (run on the learner's objects) is close to `expected`, as `check_close` judges it."""
    require_trusted(expected, mistakes)
    with observing("check_result_close") as probe:
        got = probe.value(compute)
        # Judged inside the block: check_close judges this plain value, not a new one.
        check_close(got, expected, checked, rtol=rtol, atol=atol, hint=hint, mistakes=mistakes)


def check_results_close(compute, checked, *, rtol=1e-5, atol=1e-6, hint=None):
    """`compute()` gives a pair (got, expected), both read from the learner's objects (two
    computations that must agree, e.g. a model before and after saving): they are close."""
    with observing("check_results_close") as probe:
        pair = probe.value(lambda: tuple(compute()))
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise GradingFailure(checked, expected="two values to compare", got=f"{len(pair)} values"
                                 if isinstance(pair, tuple) else str(pair))
        # Judged inside the block: check_close judges these plain values, not new ones.
        check_close(pair[0], pair[1], checked, rtol=rtol, atol=atol, hint=hint)


def check_result(compute, passes, checked, *, expected=MISSING, got=None, hint=None, errors=(),
                 error_checked=None, error_hint=None):
    """`passes(value)` holds for the plain `value = compute()` (run on the learner's objects).

    `passes` is the test's own condition, judged on the plain value; `got` is what a
    failure shows (a function of the value, or by default the value itself). An error of
    one of the types `errors` raised by `compute()` fails the check as `error_checked`,
    with `error_hint`; any other error is the learner's code failing, explained as usual.
    """
    require_trusted(expected)
    with observing("check_result") as probe:
        value, error = probe.value(lambda: _value_or_error(compute, tuple(errors)))
    if error is not None:
        raise GradingFailure(error_checked or checked, got=str(error), hint=error_hint or hint)
    try:
        holds = bool(passes(value))
    except Exception:  # a value the condition cannot use (not a number, a wrong shape): it fails
        holds = False
    if not holds:
        raise GradingFailure(checked, expected=expected, got=_shown(got, value), hint=hint)


def _value_or_error(compute, errors):
    """(compute(), None), or (None, "ErrorType: message") when it raised one of `errors`."""
    try:
        return compute(), None
    except errors as error:
        return None, f"{type(error).__name__}: {error}"[:1000]


def _shown(got, value):
    if got is None:
        return value
    if not callable(got):
        return got
    try:
        return got(value)
    except Exception:
        return repr(value)[:300]
