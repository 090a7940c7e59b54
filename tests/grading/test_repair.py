"""Repairing a submission against the assignment's cells (mlkit.grading.repair), on small notebooks."""

import doctest

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlkit.grading import repair as repair_module
from mlkit.grading.repair import ReferenceCell, defined_names, repair

SETUP = ReferenceCell("setup", "code", "import math", locked=True, checksum="c0")
ANSWER = ReferenceCell("ex1_area", "code", "def area(r):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
                       solution=True, names=frozenset({"area"}), checksum="c1")
TEST = ReferenceCell("ex1_test", "code", "assert area(1) == math.pi\n### BEGIN HIDDEN TESTS\nassert area(0) == 0\n"
                     "### END HIDDEN TESTS", grade=True, locked=True, points=2, checksum="c2")
REFERENCE = [SETUP, ANSWER, TEST]
STUDENT_ANSWER = "def area(r):\n    return math.pi * r * r"


def cell_of(reference, source=None, cell_type="code"):
    make = new_code_cell if cell_type == "code" else new_markdown_cell
    return make(reference.visible_source if source is None else source,
                metadata={"nbgrader": reference.metadata()})


def submission(*cells):
    return new_notebook(cells=list(cells))


def summary(book):
    return [(cell.cell_type, cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source) for cell in book.cells]


def test_the_examples_in_the_docstring_run():
    assert doctest.testmod(repair_module).failed == 0


def test_an_intact_notebook_needs_no_repair_and_gets_the_full_test_source():
    book, notes = repair(submission(cell_of(SETUP), cell_of(ANSWER, STUDENT_ANSWER), cell_of(TEST)), REFERENCE)
    assert notes == []
    assert summary(book) == [("code", "setup", "import math"), ("code", "ex1_area", STUDENT_ANSWER),
                             ("code", "ex1_test", TEST.source)]
    assert book.cells[2].metadata["nbgrader"] == {"grade": True, "grade_id": "ex1_test", "locked": True,
                                                  "schema_version": 3, "solution": False, "task": False,
                                                  "points": 2, "checksum": "c2"}


def test_a_fresh_notebook_is_matched_by_content_and_names():
    book, notes = repair(submission(new_markdown_cell("# my notes"), new_code_cell("import math"),
                                    new_code_cell("x = 1"), new_code_cell(STUDENT_ANSWER),
                                    new_code_cell(TEST.visible_source)), REFERENCE)
    assert [grade_id for _, grade_id, _ in summary(book)] == [None, "setup", None, "ex1_area", "ex1_test"]
    assert len(notes) == 1 and notes[0].startswith("no cell had nbgrader metadata")


def test_missing_and_edited_test_cells_are_restored_in_place():
    book, notes = repair(submission(cell_of(SETUP, "import math  # mine"), cell_of(ANSWER, STUDENT_ANSWER),
                                    new_code_cell("print(area(2))")), REFERENCE)
    assert summary(book) == [("code", "setup", "import math"), ("code", "ex1_area", STUDENT_ANSWER),
                             ("code", None, "print(area(2))"), ("code", "ex1_test", TEST.source)]
    assert notes == ["test cell ex1_test was missing; it was restored from the source",
                     "read-only cell setup had been edited; it was restored from the source"]


def test_cells_out_of_order_are_graded_in_the_released_order_with_their_followers():
    book, notes = repair(submission(cell_of(TEST), cell_of(ANSWER, STUDENT_ANSWER), new_code_cell("area(1)"),
                                    cell_of(SETUP)), REFERENCE)
    assert [source for _, _, source in summary(book)] == ["import math", STUDENT_ANSWER, "area(1)", TEST.source]
    assert notes == ["the cells were not in the order of the released notebook; they were graded in that order"]


def test_a_test_cell_turned_into_markdown_is_turned_back():
    book, notes = repair(submission(cell_of(SETUP), cell_of(ANSWER, STUDENT_ANSWER),
                                    cell_of(TEST, cell_type="markdown")), REFERENCE)
    assert book.cells[2].cell_type == "code" and book.cells[2].outputs == []
    assert notes == ["test cell ex1_test had been turned into markdown; it was turned back into code"]


def test_a_missing_solution_costs_only_its_exercise_and_is_named():
    book, notes = repair(submission(cell_of(SETUP), cell_of(TEST)), REFERENCE)
    assert [grade_id for _, grade_id, _ in summary(book)] == ["setup", "ex1_test"]
    assert notes == ["solution cell ex1_area is missing (no cell defines area); the tests of that exercise cannot pass"]


def test_an_unknown_grade_id_becomes_an_ordinary_cell():
    stray = new_code_cell("y = 2", metadata={"nbgrader": {"grade_id": "scratch", "solution": True}})
    book, notes = repair(submission(cell_of(SETUP), cell_of(ANSWER, STUDENT_ANSWER), stray, cell_of(TEST)), REFERENCE)
    assert "nbgrader" not in book.cells[2].metadata
    assert notes == ["a cell with grade_id 'scratch' matches no cell of the assignment; it was graded as an "
                     "ordinary cell"]


def test_defined_names_reads_the_top_level_even_of_broken_code():
    assert defined_names("import os\nclass A:\n    x = 1\ndef f(): pass\nn: int = 3\nm = k = 2") == {"A", "f", "n", "m", "k"}
    assert defined_names("class Broken(:\n    pass\ndef g(") == {"Broken", "g"}
    assert defined_names("def h():\n    pass\n\0") == {"h"}  # a null byte: not Python, still read
    assert defined_names("x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\ndef k(): pass") == {"k"}
