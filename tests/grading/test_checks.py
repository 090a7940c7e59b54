"""The general checks: what passes, what fails, and what the message says."""

import numpy as np
import pytest

from mlkit import ops
from mlkit.grading import (
    GradingFailure, check, check_close, check_defined, check_equal, check_raises, check_shape, check_type,
)
from mlkit.grading.cell_history import defines


def failure_of(function, *args, **kwargs):
    with pytest.raises(GradingFailure) as caught:
        function(*args, **kwargs)
    return str(caught.value)


def test_check_passes_or_explains():
    check(True, "anything")
    assert failure_of(check, False, "the flag", expected=True, got=False, hint="set it") == (
        "  Checked:  the flag\n  Expected: True\n  Got:      False\n  Likely mistake: set it"
    )


def test_check_equal_on_numbers_arrays_and_booleans():
    check_equal(4810, 4810, "n")
    check_equal(np.arange(3), np.arange(3), "a")
    check_equal(ops.ones((2,)), np.ones(2), "a tensor")
    assert "Got:      True" in failure_of(check_equal, True, 1, "a count")  # True is not the number 1
    assert "Got:      array of shape (2,)" in failure_of(check_equal, np.ones(2), np.ones(3), "a")


def test_check_equal_names_a_recognized_mistake():
    text = failure_of(check_equal, 4736, 4810, "count_parameters([64, 64, 10])",
                      mistakes={"the biases are missing": 4736, "only one layer": 4160}, hint="general")
    assert text.endswith("Likely mistake: the biases are missing")
    assert failure_of(check_equal, 1, 4810, "n", mistakes={"x": 4736}, hint="general").endswith("general")


def test_check_close_tolerates_rounding_and_reports_the_first_difference():
    check_close(0.1 + 0.2, 0.3, "a sum")
    check_close(ops.sum(ops.ones((2, 2))), 4.0, "a 0-d tensor")
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = expected.copy()
    got[1, 0] = 3.5
    assert failure_of(check_close, got, expected, "the output") == (
        "  Checked:  the output: 1 of 4 values differ; the first at index (1, 0)\n"
        "  Expected: 3\n  Got:      3.5"
    )
    assert "Expected: (2, 2)\n  Got:      (4,)" in failure_of(check_close, np.ones(4), expected, "the output")
    assert "values differ" in failure_of(check_close, np.full(2, np.nan), np.zeros(2), "the output")
    assert "Got:      a string" in failure_of(check_close, "a string", 1.0, "x")


def test_check_close_names_a_recognized_mistake():
    text = failure_of(check_close, np.array([1.0, 2.0]), np.array([1.5, 2.5]), "y",
                      mistakes={"the bias is not added": np.array([1.0, 2.0])})
    assert text.endswith("Likely mistake: the bias is not added")


def test_check_shape_and_type():
    check_shape(ops.ones((2, 4)), (2, 4), "the output")
    assert "Expected: (2, 4)\n  Got:      (4, 2)" in failure_of(check_shape, np.ones((4, 2)), (2, 4), "the output")
    assert "Got:      list [1, 2]" in failure_of(check_shape, [1, 2], (2,), "the output")
    check_type((1, 2), tuple, "a shape")
    assert "Expected: a tuple\n  Got:      a list: [1, 2]" in failure_of(check_type, [1, 2], tuple, "a shape")


def test_check_raises():
    check_raises(ValueError, lambda: int("x"), "int('x')", match="invalid literal")
    assert "Got:      no error at all" in failure_of(check_raises, ValueError, lambda: 1, "f()")
    assert "Got:      ZeroDivisionError" in failure_of(check_raises, ValueError, lambda: 1 / 0, "f()")
    assert "mentioning 'units'" in failure_of(check_raises, ValueError, lambda: int("x"), "f()", match="units")


def test_check_defined_looks_in_the_callers_namespace():
    check_defined("np", "pytest")
    assert "`SimpleDense` is not defined yet." in failure_of(check_defined, "np", "SimpleDense")


@pytest.mark.parametrize("source, name, expected", [
    ("class SimpleDense(layers.Layer):\n    pass", "SimpleDense", True),
    ("def count_parameters(sizes):\n    pass", "count_parameters", True),
    ("total: int = 0", "total", True),
    ("from mlkit import layers", "layers", True),
    ("x == 3", "x", False),
    ("SimpleDenseLayer = 1", "SimpleDense", False),
    ("print(SimpleDense)", "SimpleDense", False),
])
def test_which_cells_define_a_name(source, name, expected):
    assert defines(source, name) is expected


def test_none_where_a_value_belongs_says_a_return_is_missing():
    text = failure_of(check_close, None, 4.0, "the first call")
    assert "Got:      None (no value was returned)" in text and "a `return` is missing" in text
    assert "a `return` is missing" in failure_of(check_equal, None, 23, "freeze_all_but(model, 2)")
    assert "a `return` is missing" not in failure_of(check_equal, 22, 23, "freeze_all_but(model, 2)")


def test_check_type_names_the_expected_type_with_its_article():
    assert "Expected: an int or float" in failure_of(check_type, "2.5", (int, float), "the temperature")
    assert "Expected: a float" in failure_of(check_type, "2.5", float, "the temperature")
