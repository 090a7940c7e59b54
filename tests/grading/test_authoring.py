"""Writing notebooks with nbgrader metadata, and grading them in this process."""

import nbformat
import pytest

from mlkit.grading import GradingFailure, UnfinishedExercise
from mlkit.grading.authoring import (
    code_cell, failures, grade_in_process, graded_cell, markdown_cell, notebook, setup_cell, solution_cell, solved,
    wrong_verdicts, write,
)

DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
TEST = 'from mlkit import grading\nwith grading.exercise("double"):\n    grading.check_equal(double(3), 6, "double(3)")'


@pytest.fixture
def path(tmp_path):
    book = notebook([
        markdown_cell("# Doubling\n\n## Learning objectives\n\n- doubling"),
        setup_cell("from mlkit import grading"),
        solution_cell("ex1_double", DOUBLE),
        code_cell("raise RuntimeError('an example that would fail here')"),
        graded_cell("ex1_test_double", 2, TEST),
    ])
    write(book, tmp_path / "double.ipynb")
    return tmp_path / "double.ipynb"


def test_cells_carry_nbgrader_metadata_and_stable_ids(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    assert book.metadata.kernelspec["name"] == "python3"
    assert [cell.id for cell in book.cells] == ["cell-00", "setup", "ex1-double", "cell-03", "ex1-test-double"]
    assert book.cells[1].metadata.nbgrader == {
        "grade": False, "grade_id": "setup", "locked": True, "schema_version": 3, "solution": False, "task": False,
    }
    assert book.cells[2].metadata.nbgrader["solution"] and not book.cells[2].metadata.nbgrader["locked"]
    assert book.cells[4].metadata.nbgrader["points"] == 2 and book.cells[4].metadata.nbgrader["grade"]


def test_grade_in_process_runs_the_tests_against_any_answer(path):
    assert grade_in_process(path) == {"ex1_test_double": None}
    results = grade_in_process(path, {"ex1_double": "def double(x):\n    return x + x + 1"})
    assert isinstance(results["ex1_test_double"], GradingFailure)
    assert "Got:      7" in str(results["ex1_test_double"])
    stub = {"ex1_double": "def double(x):\n    raise NotImplementedError()"}
    assert isinstance(grade_in_process(path, stub)["ex1_test_double"], UnfinishedExercise)


def test_a_mistake_is_checked_against_the_cells_it_should_fail_and_what_they_should_say(path):
    off_by_one = grade_in_process(path, {"ex1_double": "def double(x):\n    return x + x + 1"})
    assert failures(off_by_one) == {"ex1_test_double": str(off_by_one["ex1_test_double"])}
    assert wrong_verdicts(off_by_one, {"ex1_test_double"}, "Got:      7") == []
    assert wrong_verdicts(off_by_one, {"ex1_test_double"}, "Got:      8") == [
        f"ex1_test_double does not say 'Got:      8': {off_by_one['ex1_test_double']}"]
    assert wrong_verdicts(grade_in_process(path), {"ex1_test_double"}, "Got:      7") == [
        "the cells that fail are [], not ['ex1_test_double']: {}",
        "ex1_test_double ended with None, not with a grading failure"]


def test_a_failing_answer_is_explained_like_in_a_notebook(path):
    results = grade_in_process(path, {"ex1_double": "def double(x)\n    return 2 * x"})
    assert "the cell that defines it stopped with an error" in str(results["ex1_test_double"])


def test_examples_run_only_on_request(path):
    with pytest.raises(RuntimeError, match="an example that would fail here"):
        grade_in_process(path, run_examples=True)


def test_solved_answers_the_released_notebook_from_the_source(path):
    source = nbformat.read(path, as_version=4)
    square = solution_cell("ex2_square", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION")
    source.cells.append(square)
    released = nbformat.read(path, as_version=4)
    released.cells.append(solution_cell("ex2_square", "def square(x):\n    raise NotImplementedError"))
    for cell in released.cells[2], released.cells[-1]:
        cell.source = cell.source.split("\n")[0] + "\n    raise NotImplementedError"
    answers = {cell.metadata.nbgrader["grade_id"]: cell.source
               for cell in solved(released, source, exercises=["ex1_"]).cells if "nbgrader" in cell.metadata}
    assert answers["ex1_double"] == "def double(x):\n    return 2 * x"
    assert "NotImplementedError" in answers["ex2_square"]  # only the exercises asked for
    assert "NotImplementedError" in released.cells[2].source  # the released notebook is left as it was
    assert solved(released, source).cells[-1].source == "def square(x):\n    return x * x"
