"""Autograding survives whatever students hand in, and says why points were lost.

A tiny two-exercise assignment is graded for a class in which each student
breaks it in one way: an endless loop (in a function, and at the top level
of a cell), a crashing kernel, megabytes of output, deleted and edited test
cells, redefined names, a notebook never run, a module that is not
installed. One autograde of the class must finish; every student must be
graded and have feedback; the broken exercise scores 0 with a reason and
the other exercise is graded as usual. Results are read from the gradebook,
never from nbgrader's exit status.
"""

import re
import shutil

import nbformat
import pytest

from mlkit.grading.authoring import graded_cell, markdown_cell, notebook, setup_cell, solution_cell

# nbgrader writes the test cells it puts back without a cell id: its noise, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")

ASSIGNMENT, NOTEBOOK = "robust", "robust.ipynb"
TIME_LIMIT = "1.5"   # seconds per block of checks (MLKIT_GRADING_TIME_LIMIT)
CELL_TIMEOUT = 6     # seconds per cell (nbgrader's Execute.timeout; the setup cell imports mlkit)

DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
SQUARE = "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"


def source_notebook():
    return notebook([
        markdown_cell("# A tiny assignment"),
        setup_cell("from mlkit import grading"),
        solution_cell("ex1_double", DOUBLE),
        graded_cell("ex1_test", 1, 'from mlkit import grading\n\nwith grading.exercise("double"):\n'
                             '    grading.check_equal(double(3), 6, "double(3)")\n### BEGIN HIDDEN TESTS\n'
                             'with grading.exercise("double of a negative number"):\n'
                             '    grading.check_equal(double(-4), -8, "double(-4)")\n### END HIDDEN TESTS'),
        solution_cell("ex2_square", SQUARE),
        graded_cell("ex2_test", 1, 'from mlkit import grading\n\nwith grading.exercise("square"):\n'
                             '    grading.check_equal(square(3), 9, "square(3)")\n### BEGIN HIDDEN TESTS\n'
                             'with grading.exercise("square of a negative number"):\n'
                             '    grading.check_equal(square(-2), 4, "square(-2)")\n### END HIDDEN TESTS'),
    ])


GOOD = {"ex1_double": "def double(x):\n    return 2 * x", "ex2_square": "def square(x):\n    return x * x"}

# student -> (their solution cells, cells to delete, cells to replace, expected scores, reason of ex1's loss)
CLASS = {
    # The release with both exercises solved, handed in without running it: full marks.
    "never_ran": ({}, [], {}, {"ex1_test": 1, "ex2_test": 1}, None),
    "loops_in_a_function": (
        {"ex1_double": "def double(x):\n    while x == x:\n        x = x\n    return 2 * x"}, [], {},
        {"ex1_test": 0, "ex2_test": 1}, "did not finish within 1.5 seconds",
    ),
    "loops_at_top_level": (
        {"ex1_double": "while True:\n    pass\n\ndef double(x):\n    return 2 * x"}, [], {},
        {"ex1_test": 0, "ex2_test": 1}, "This cell ran longer than 6 seconds and was stopped",
    ),
    "crashes_the_kernel": (
        {"ex1_double": "import os\n\ndef double(x):\n    os._exit(1)"}, [], {},
        {"ex1_test": 0, "ex2_test": 1}, "The kernel died while this cell was running",
    ),
    # 1.5 MB per call of double: more and printing alone outlasts TIME_LIMIT on a loaded machine.
    "prints_megabytes": (
        {"ex1_double": "def double(x):\n    for line in range(30_000):\n        print('x' * 50)\n    return 2 * x"},
        [], {}, {"ex1_test": 1, "ex2_test": 1}, None,
    ),
    "edits_and_deletes_tests": (
        {"ex1_double": "def double(x):\n    return 3 * x", "ex2_square": "def square(x):\n    return 0"},
        ["ex1_test"], {"ex2_test": "print('all good')"}, {"ex1_test": 0, "ex2_test": 0}, "Expected: 6",
    ),
    "redefines_names": (
        {"ex1_double": "grading = None\nnp = None\nprint = None\nlen = lambda *args: 0\n"
                       "isinstance = lambda *args: True\nGradingFailure = None\n\ndef double(x):\n    return 2 * x"},
        [], {}, {"ex1_test": 1, "ex2_test": 1}, None,
    ),
    "imports_a_missing_module": (
        {"ex1_double": "import a_module_that_is_not_installed\n\ndef double(x):\n    return 2 * x"}, [], {},
        {"ex1_test": 0, "ex2_test": 1}, "ModuleNotFoundError: No module named 'a_module_that_is_not_installed'",
    ),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, make_course_folder):
    root = tmp_path_factory.mktemp("robust_course")
    course = make_course_folder(root, assignments=[], Execute__timeout=CELL_TIMEOUT)
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "solutions" / ASSIGNMENT / NOTEBOOK)
    course.release([ASSIGNMENT])
    for student, (answers, deleted, replaced, _, _) in CLASS.items():
        book = course.student_notebook(ASSIGNMENT, NOTEBOOK)
        for cell in book.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            cell.source = answers.get(grade_id, replaced.get(grade_id, GOOD.get(grade_id, cell.source)))
        book.cells = [c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in deleted]
        course.submit(student, ASSIGNMENT, NOTEBOOK, book)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLKIT_GRADING_TIME_LIMIT", TIME_LIMIT)
        course.results = course.autograde([ASSIGNMENT])
    course.feedback([ASSIGNMENT])
    return course


def test_the_whole_class_is_graded(graded_class):
    assert set(graded_class.results) == {(ASSIGNMENT, student) for student in CLASS}
    failed = [student for (_, student), outcome in graded_class.results.items() if not outcome.graded]
    assert not failed, {s: graded_class.results[ASSIGNMENT, s].log for s in failed}


@pytest.mark.parametrize("student", sorted(CLASS))
def test_each_student_gets_the_expected_scores_and_feedback(graded_class, student):
    expected = CLASS[student][3]
    scores = graded_class.scores(student, ASSIGNMENT, NOTEBOOK)
    assert {grade_id: score for grade_id, (score, _) in scores.items()} == expected
    assert graded_class.autograded(student, ASSIGNMENT, NOTEBOOK)
    assert "square" in graded_class.feedback_html(student, ASSIGNMENT, NOTEBOOK)


@pytest.mark.parametrize("student", sorted(s for s, case in CLASS.items() if case[4]))
def test_the_lost_exercise_says_why(graded_class, student):
    reason = CLASS[student][4]
    book = graded_class.autograded(student, ASSIGNMENT, NOTEBOOK)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in book.cells}
    outputs = " ".join(
        re.sub(r"\x1b\[[0-9;]*m", "", " ".join(out.get("traceback", [])) + out.get("text", ""))
        for grade_id in ("ex1_double", "ex1_test") for out in cells[grade_id].get("outputs", [])
    )
    assert reason in outputs
    assert reason.split(":")[0].split("(")[0] in graded_class.feedback_html(student, ASSIGNMENT, NOTEBOOK)


def test_megabytes_of_output_are_cut(graded_class):
    book = graded_class.autograded("prints_megabytes", ASSIGNMENT, NOTEBOOK)
    text = "".join(out.get("text", "") for cell in book.cells for out in cell.get("outputs", []))
    assert 0 < len(text) < 200_000


def test_edited_and_deleted_test_cells_are_restored(graded_class):
    book = graded_class.autograded("edits_and_deletes_tests", ASSIGNMENT, NOTEBOOK)
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in book.cells}
    assert 'grading.check_equal(double(3), 6, "double(3)")' in sources["ex1_test"]
    assert "print('all good')" not in sources["ex2_test"]
    assert sorted(graded_class.results[ASSIGNMENT, "edits_and_deletes_tests"].repairs) == [
        f"{NOTEBOOK}: test cell ex1_test was missing; it was restored from the source",
        f"{NOTEBOOK}: test cell ex2_test had been edited; it was restored from the source",
    ]
    log = graded_class.results[ASSIGNMENT, "edits_and_deletes_tests"].log
    assert "edits_and_deletes_tests, robust: test cell ex2_test had been edited" in log  # by student and cell
    assert "has changed" not in log  # nbgrader's checksum warning, for every test cell: no longer


def test_plain_nbgrader_would_lose_the_crashed_notebook(graded_class, tmp_path, monkeypatch):
    """Why the config uses ResilientExecute: with nbgrader's own Execute, a crash drops the
    whole notebook (no graded copy, no reason) and the other exercise scores 0 too."""
    from nbgrader.converters.autograde import Autograde

    # A failed nbgrader run leaves NBGRADER_EXECUTION set: restore the environment afterwards.
    monkeypatch.setenv("NBGRADER_EXECUTION", "")
    monkeypatch.delenv("NBGRADER_EXECUTION")

    gradebook = tmp_path / "gradebook.db"
    shutil.copy(graded_class.root / ".nbgrader" / "gradebook.db", gradebook)
    config = graded_class.instructor.with_overrides(
        graded_class.config,
        Autograde__autograde_preprocessors=Autograde.class_traits()["autograde_preprocessors"].default(),
        CourseDirectory__db_url=f"sqlite:///{gradebook}",
        CourseDirectory__autograded_directory="autograded_plain",
    )
    result = graded_class.instructor.api_for(graded_class.root, config).autograde(ASSIGNMENT, "crashes_the_kernel")
    assert not result["success"]
    assert not (graded_class.root / "autograded_plain" / "crashes_the_kernel" / ASSIGNMENT / NOTEBOOK).exists()
