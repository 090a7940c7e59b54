"""Grading never takes a point from honest work.

A class hands in two real notebooks (01_the_layer and 02_weights_and_state),
every submission built from the instructor's solutions, each damaged in one
way an honest student could: warnings and stderr from their code, a test cell
pasted twice, edited grade_ids, metadata lost by pasting answers into a fresh
notebook, a deleted solution cell, a duplicated solution cell, a test cell
turned into markdown, cells in another order, hostile outputs and marker-like
text in a student's own cell. The course's own command line grades them
(`python -m mlkit.grading autograde`, `feedback`, `grades`), once per module,
and the tests read the gradebook, the summary, the feedback pages and
grades_by_test.csv.
"""

import copy
import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import instructor
from mlkit.grading.__main__ import main

# nbgrader writes the test cells it puts back without a cell id: its noise, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {"01_the_layer": "the_layer.ipynb", "02_weights_and_state": "weights_and_state.ipynb"}


# -- submissions, built from the solutions ------------------------------------

def grading_info(cell):
    return cell.metadata.get("nbgrader", {})


def grade_id(cell):
    return grading_info(cell).get("grade_id")


def solved(released, source):
    """The released notebook with every solution cell filled in from the instructor's source."""
    book = copy.deepcopy(released)
    answers = {grade_id(cell): cell.source for cell in source.cells if grading_info(cell).get("solution")}
    for cell in book.cells:
        if grading_info(cell).get("solution"):
            cell.source = "\n".join(line for line in answers[grade_id(cell)].split("\n")
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return book


def solution_cells(book):
    return [cell for cell in book.cells if grading_info(cell).get("solution")]


def test_cells(book):
    return [cell for cell in book.cells if grading_info(cell).get("grade") and not grading_info(cell).get("solution")]


def with_line_in_call(cell, line, imports):
    """`line` as the first statement of the `call` method of a solution cell."""
    header = "    def call(self, inputs):\n"
    assert header in cell.source
    cell.source = imports + "\n" + cell.source.replace(header, header + "        " + line + "\n", 1)


def warns_in_call(book):
    with_line_in_call(solution_cells(book)[0], 'warnings.warn("call: inputs were converted to float32")',
                      "import warnings")


def prints_to_stderr(book):
    with_line_in_call(solution_cells(book)[0], 'print("debug: call ran", file=sys.stderr)', "import sys")


def deprecation_in_second_exercise(book):
    with_line_in_call(solution_cells(book)[1], 'warnings.warn("old style", DeprecationWarning)',
                      "import warnings")


def pastes_a_test_cell_twice(book):
    first = test_cells(book)[0]
    book.cells.insert(book.cells.index(first) + 1, copy.deepcopy(first))


def edits_grade_ids(book):
    """The grade_id of a solution, a test and the setup cell changed."""
    solution_cells(book)[0].metadata.nbgrader["grade_id"] = "my_answer"
    test_cells(book)[0].metadata.nbgrader["grade_id"] = "my_test"
    setup = next(cell for cell in book.cells if grade_id(cell) == "setup")
    setup.metadata.nbgrader["grade_id"] = "imports"


def pastes_answers_into_a_fresh_notebook(book):
    """Every cell's source in a new notebook: no nbgrader metadata, no ids, no outputs."""
    fresh = nbformat.v4.new_notebook()
    for cell in book.cells:
        make = nbformat.v4.new_code_cell if cell.cell_type == "code" else nbformat.v4.new_markdown_cell
        fresh.cells.append(make(cell.source))
    book.cells = fresh.cells


def deletes_the_second_solution(book):
    book.cells.remove(solution_cells(book)[1])


def duplicates_a_solution_cell(book):
    first = solution_cells(book)[0]
    book.cells.insert(book.cells.index(first) + 1, copy.deepcopy(first))


def turns_a_test_cell_into_markdown(book):
    cell = test_cells(book)[0]
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def reorders_cells(book):
    """The first exercise's solution moved below its own tests, the setup cell to the end."""
    solution = solution_cells(book)[0]
    book.cells.remove(solution)
    last_test = [cell for cell in test_cells(book) if grade_id(cell).startswith("ex1_")][-1]
    book.cells.insert(book.cells.index(last_test) + 1, solution)
    setup = next(cell for cell in book.cells if grade_id(cell) == "setup")
    book.cells.remove(setup)
    book.cells.append(setup)


HOSTILE_OUTPUT = """from IPython.display import HTML, Javascript, display
display(HTML('<b>bold</b><script>document.title = "pwned"</script><img src=x onerror="alert(1)">'
             '<a href="javascript:alert(2)">link</a>'))
display(Javascript('alert(3)'))
print("x" * 10_000_000)"""


def hostile_outputs(book):
    book.cells.insert(2, nbformat.v4.new_code_cell(HOSTILE_OUTPUT))
    book.cells.insert(2, nbformat.v4.new_markdown_cell('Notes <script>alert(4)</script> <img src=y onerror="alert(5)">'))


def marker_text_in_a_solution(book):
    solution_cells(book)[0].source += '\n\nNOTE = "### BEGIN HIDDEN TESTS (just a string)"  # BEGIN HIDDEN TESTS'


# student: (how the submission is damaged, {notebook: exercises whose points are lost})
CLASS = {
    "untouched": (None, {}),
    "warns": (warns_in_call, {}),
    "stderr": (prints_to_stderr, {}),
    "deprecation": (deprecation_in_second_exercise, {}),
    "pasted_test": (pastes_a_test_cell_twice, {}),
    "edited_ids": (edits_grade_ids, {}),
    "fresh_notebook": (pastes_answers_into_a_fresh_notebook, {}),
    "deleted_ex2": (deletes_the_second_solution, {"ex2_"}),
    "duplicated_solution": (duplicates_a_solution_cell, {}),
    "test_as_markdown": (turns_a_test_cell_into_markdown, {}),
    "reordered": (reorders_cells, {}),
    "hostile": (hostile_outputs, {}),
    "marker_text": (marker_text_in_a_solution, {}),
}


def build_course(folder, students=CLASS):
    """A course in `folder` (config, the two assignments' solutions, their release) with
    a submission of both notebooks for each student."""
    folder = Path(folder)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for assignment in NOTEBOOKS:
        shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
    assert main(["--root", str(folder), "release", *NOTEBOOKS]) == 0
    for assignment, notebook in NOTEBOOKS.items():
        released = nbformat.read(folder / "course" / assignment / notebook, as_version=4)
        source = nbformat.read(folder / "solutions" / assignment / notebook, as_version=4)
        for student, (damage, _) in students.items():
            book = solved(released, source)
            if damage:
                damage(book)
            (folder / "submitted" / student / assignment).mkdir(parents=True)
            nbformat.write(book, folder / "submitted" / student / assignment / notebook)
    return folder
