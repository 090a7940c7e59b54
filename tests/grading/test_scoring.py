"""A test cell's score comes from what its checks reported (mlkit.grading.scoring)."""

import doctest

from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from mlkit.grading import scoring
from mlkit.grading.scoring import score_test_cell

TEST_CELL = {"nbgrader": {"grade": True, "solution": False, "points": 3, "grade_id": "ex1_test"}}


def test_the_examples_in_the_docstring_run():
    assert doctest.testmod(scoring).failed == 0


def test_warnings_on_stderr_cost_nothing_an_error_costs_all():
    cell = new_code_cell(metadata=TEST_CELL)
    cell.outputs = [new_output("stream", name="stderr", text="DeprecationWarning: old style\n"),
                    new_output("stream", name="stdout", text="✓ ComputeSum adds up everything it sees\n")]
    assert score_test_cell(cell) == (3.0, 3.0, "")
    cell.outputs.append(new_output("error", ename="DeadKernelError", evalue="The kernel died",
                                   traceback=["\x1b[1;31mThe kernel died\x1b[0m while this cell was running"]))
    assert score_test_cell(cell) == (0.0, 3.0, "The kernel died while this cell was running")


def test_a_test_cell_that_is_not_code_scores_zero_and_says_why():
    cell = new_markdown_cell("assert True", metadata=TEST_CELL)
    assert score_test_cell(cell) == (0.0, 3.0, "this test cell was not code, so it did not run")
