"""GradingFailure: the message a learner reads, and only that."""

import numpy as np

from mlkit.grading import GradingFailure, UnfinishedExercise
from mlkit.grading.formatting import describe


def test_message_lists_what_was_checked_expected_got_and_hint():
    failure = GradingFailure("count_parameters([3, 2])", expected=8, got=6, hint="the bias is missing",
                             title="count_parameters")
    assert str(failure).split("\n") == [
        "✗ count_parameters",
        "  Checked:  count_parameters([3, 2])",
        "  Expected: 8",
        "  Got:      6",
        "  Likely mistake: the bias is missing",
    ]


def test_ipython_shows_the_message_alone_with_a_red_title():
    failure = GradingFailure("x", expected=1, got=2, title="t")
    lines = failure._render_traceback_()
    assert lines[0] == "\x1b[1;31m✗ t\x1b[0m"
    assert lines[1:] == str(failure).split("\n")[1:]


def test_values_that_print_alike_are_shown_in_full():
    text = str(GradingFailure("0.1 + 0.2", expected=0.3, got=0.1 + 0.2))
    assert "Expected: 0.3\n" in text and "Got:      0.30000000000000004" in text


def test_multi_line_text_stays_aligned():
    text = str(GradingFailure(problem="first line\nsecond line", hint="a\nb"))
    assert text == "  first line\n  second line\n  Likely mistake: a\n                  b"


def test_none_is_a_value_but_missing_parts_are_left_out():
    assert str(GradingFailure("a shape", expected=(None, 4), got=None)) == (
        "  Checked:  a shape\n  Expected: (None, 4)\n  Got:      None"
    )


def test_describe_arrays_small_and_large():
    assert describe(np.array([1.0, 2.5])) == "array of shape (2,), dtype float64: [1.  2.5]"
    big = np.arange(100.0).reshape(10, 10)
    big[0, 0] = np.nan
    assert describe(big) == "array of shape (10, 10), dtype float64 (min 1, max 99, mean 50, 1 NaN)"


def test_unfinished_exercise_says_what_to_replace():
    failure = UnfinishedExercise("`SimpleDense.build`", title="SimpleDense")
    assert isinstance(failure, GradingFailure)
    assert "Not done yet: `SimpleDense.build` still raises NotImplementedError." in str(failure)
    assert "Replace `raise NotImplementedError()` with your code" in str(failure)
