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

import contextlib
import copy
import csv
import html
import io
import re
import shutil
import types
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from mlkit.grading.__main__ import main
from mlkit.grading.authoring import solved
from mlkit.grading.grading_steps import repairs_of

# nbgrader writes the test cells it puts back without a cell id: its noise, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {"01_the_layer": "the_layer.ipynb", "02_weights_and_state": "weights_and_state.ipynb"}


# -- submissions, built from the solutions ------------------------------------

def grading_info(cell):
    return cell.metadata.get("nbgrader", {})


def grade_id(cell):
    return grading_info(cell).get("grade_id")


def solution_cells(book):
    return [cell for cell in book.cells if grading_info(cell).get("solution")]


def graded_test_cells(book):
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
    first = graded_test_cells(book)[0]
    book.cells.insert(book.cells.index(first) + 1, copy.deepcopy(first))


def edits_grade_ids(book):
    """The grade_id of a solution, a test and the setup cell changed."""
    solution_cells(book)[0].metadata.nbgrader["grade_id"] = "my_answer"
    graded_test_cells(book)[0].metadata.nbgrader["grade_id"] = "my_test"
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
    cell = graded_test_cells(book)[0]
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def reorders_cells(book):
    """The first exercise's solution moved below its own tests, the setup cell to the end."""
    solution = solution_cells(book)[0]
    book.cells.remove(solution)
    last_test = [cell for cell in graded_test_cells(book) if grade_id(cell).startswith("ex1_")][-1]
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


# student: (how the submission is damaged, exercises whose points are lost, the repair notes).
# In the notes, {solution1}, {solution2} and {test1} stand for the notebook's grade_ids.
CLASS = {
    "untouched": (None, (), []),
    "warns": (warns_in_call, (), []),
    "stderr": (prints_to_stderr, (), []),
    "deprecation": (deprecation_in_second_exercise, (), []),
    "pasted_test": (pastes_a_test_cell_twice, (), ["test cell {test1} appeared twice; the copy was ignored"]),
    "edited_ids": (edits_grade_ids, (), [
        "read-only cell setup had its grade_id changed to 'imports'; it was recognised and graded as itself",
        "solution cell {solution1} had its grade_id changed to 'my_answer'; it was recognised and graded as itself",
        "test cell {test1} had its grade_id changed to 'my_test'; it was recognised and graded as itself",
    ]),
    "fresh_notebook": (pastes_answers_into_a_fresh_notebook, (), [
        "no cell had nbgrader metadata (answers pasted into a new notebook?): the cells were matched by "
        "their content and the names they define",
    ]),
    "deleted_ex2": (deletes_the_second_solution, ("ex2_",), [
        "solution cell {solution2} is missing (no cell defines {class2}); the tests of that exercise cannot pass",
    ]),
    "duplicated_solution": (duplicates_a_solution_cell, (), [
        "solution cell {solution1} appeared twice; the copy was kept as an ordinary cell",
    ]),
    "test_as_markdown": (turns_a_test_cell_into_markdown, (), [
        "test cell {test1} had been turned into markdown; it was turned back into code",
    ]),
    "reordered": (reorders_cells, (), [
        "the cells were not in the order of the released notebook; they were graded in that order",
    ]),
    "hostile": (hostile_outputs, (), []),
    "marker_text": (marker_text_in_a_solution, (), []),
}
# Only on 01: the extra cases beyond the table (one notebook each is enough).
ONLY_FIRST_NOTEBOOK = {"duplicated_solution", "test_as_markdown", "reordered", "hostile", "marker_text"}
UNREADABLE = "unreadable"   # a submission whose notebook is not JSON: it cannot be graded


def students_of(assignment):
    return [s for s in CLASS if assignment == "01_the_layer" or s not in ONLY_FIRST_NOTEBOOK]


def build_course(folder):
    """A course in `folder` (config, the two assignments' solutions, their release) with
    the class's submissions of both notebooks, and one unreadable submission."""
    folder = Path(folder)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for assignment in NOTEBOOKS:
        shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
    assert main(["--root", str(folder), "release", *NOTEBOOKS]) == 0
    for assignment, notebook in NOTEBOOKS.items():
        released = nbformat.read(folder / "course" / assignment / notebook, as_version=4)
        source = nbformat.read(folder / "solutions" / assignment / notebook, as_version=4)
        for student in students_of(assignment):
            book = solved(released, source)
            damage = CLASS[student][0]
            if damage:
                damage(book)
            (folder / "submitted" / student / assignment).mkdir(parents=True)
            nbformat.write(book, folder / "submitted" / student / assignment / notebook)
    (folder / "submitted" / UNREADABLE / "01_the_layer").mkdir(parents=True)
    (folder / "submitted" / UNREADABLE / "01_the_layer" / "the_layer.ipynb").write_text("{not json")
    return folder


def run(*argv):
    """(exit status, printed text) of `python -m mlkit.grading ARGV`."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(list(argv))
    return status, printed.getvalue()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = build_course(tmp_path_factory.mktemp("fair_grading"))
    graded = types.SimpleNamespace(root=root)
    graded.autograde_status, graded.autograde_summary = run("--root", str(root), "autograde", *NOTEBOOKS)
    # A graded notebook broken after autograding: its feedback fails, nobody else's.
    ghost = root / "autograded" / "ghost" / "01_the_layer"
    ghost.mkdir(parents=True)
    (ghost / "the_layer.ipynb").write_text("{not json")
    graded.feedback_status, graded.feedback_summary = run("--root", str(root), "feedback", *NOTEBOOKS)
    assert run("--root", str(root), "grades", "--to", str(root / "grades.csv"),
               "--by-test", str(root / "grades_by_test.csv"))[0] == 0
    with open(root / "grades_by_test.csv") as handle:
        graded.rows = list(csv.DictReader(handle))
    return graded


# -- what the notebooks hold ----------------------------------------------------

def source_of(assignment):
    return nbformat.read(ROOT / "solutions" / assignment / NOTEBOOKS[assignment], as_version=4)


def points_of_tests(assignment):
    return {grade_id(cell): cell.metadata.nbgrader["points"] for cell in graded_test_cells(source_of(assignment))}


def names_in(assignment):
    """The grade_ids and class names that the expected notes mention."""
    book = source_of(assignment)
    solutions = solution_cells(book)
    return {"solution1": grade_id(solutions[0]), "solution2": grade_id(solutions[1]),
            "test1": grade_id(graded_test_cells(book)[0]),
            "class2": re.search(r"class (\w+)", solutions[1].source).group(1)}


def submissions():
    return [(student, assignment) for assignment in NOTEBOOKS for student in students_of(assignment)]


def scores(course, student, assignment):
    return {row["test"]: float(row["score"]) for row in course.rows
            if row["student_id"] == student and row["assignment"] == assignment}


def feedback_page(course, student, assignment):
    return (course.root / "feedback" / student / assignment / NOTEBOOKS[assignment]).with_suffix(".html").read_text()


def page_text(page):
    """The text a reader of an HTML page sees, on one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


class ActiveContent(HTMLParser):
    """The scripts, event handlers and javascript: URLs of an HTML page."""

    def __init__(self, page):
        super().__init__()
        self.found = []
        self.feed(page)

    def handle_starttag(self, tag, attributes):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(f"<{tag} {dict(attributes)}>")
        for name, value in attributes:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


# -- the tests --------------------------------------------------------------------

@pytest.mark.parametrize("student, assignment", submissions())
def test_honest_work_gets_its_fair_score(course, student, assignment):
    lost = CLASS[student][1]
    expected = {test: (0.0 if test.startswith(lost) else float(points))
                for test, points in points_of_tests(assignment).items()}
    assert scores(course, student, assignment) == expected


@pytest.mark.parametrize("student, assignment", submissions())
def test_each_repair_is_recorded_and_summarized(course, student, assignment):
    notebook = NOTEBOOKS[assignment]
    notes = [note.format(**names_in(assignment)) for note in CLASS[student][2]]
    graded = nbformat.read(course.root / "autograded" / student / assignment / notebook, as_version=4)
    assert repairs_of(graded) == notes
    for note in notes:
        assert f"  {assignment} {student}: {notebook}: {note}" in course.autograde_summary.splitlines()
        assert note in page_text(feedback_page(course, student, assignment))  # the student reads it too
    summary = course.autograde_summary[course.autograde_summary.index("\nautograde: "):]
    repairs_and_problems = summary.split("\npushed against the sandbox:")[0]
    assert (f"  {assignment} {student}: " in repairs_and_problems) == bool(notes)


def test_the_summary_counts_every_submission_and_the_exit_status_tells_of_the_problem(course):
    total, repaired = len(submissions()) + 1, sum(1 for student, _ in submissions() if CLASS[student][2])
    assert f"autograde: {total} submissions: {total - 1} graded ({repaired} repaired), 1 with problems" \
        in course.autograde_summary
    problem = re.search(rf"^  01_the_layer {UNREADABLE}: (.*)$", course.autograde_summary, flags=re.M)
    assert problem and problem.group(1).startswith("the_layer.ipynb could not be graded: ")
    assert course.autograde_status == 1


def test_one_broken_feedback_stops_nobody_else(course):
    assert course.feedback_status == 1
    assert f"feedback: {len(submissions()) + 1} submissions: {len(submissions())} done, 1 with problems" \
        in course.feedback_summary
    assert re.search(r"^  01_the_layer ghost: no feedback: ", course.feedback_summary, flags=re.M)
    for student, assignment in submissions():
        assert "Score:" in feedback_page(course, student, assignment)


def test_marker_text_in_a_student_cell_is_just_text(course):
    page = feedback_page(course, "marker_text", "01_the_layer")
    assert "BEGIN HIDDEN TESTS (just a string)" in page_text(page)


@pytest.mark.parametrize("student", ["warns", "stderr"])
def test_warnings_and_stderr_are_shown_as_notes(course, student):
    text = {"warns": "call: inputs were converted to float32", "stderr": "debug: call ran"}[student]
    for assignment in NOTEBOOKS:
        graded = nbformat.read(course.root / "autograded" / student / assignment / NOTEBOOKS[assignment],
                               as_version=4)
        notes = [output.text for cell in graded_test_cells(graded) for output in cell.outputs
                 if output.output_type == "stream" and output.text.startswith("Note: your code printed")]
        assert any(text in note for note in notes)
        assert text in page_text(feedback_page(course, student, assignment))


def test_untouched_cells_log_no_checksum_noise(course):
    logs = {(student, assignment): (course.root / ".nbgrader" / "outcomes" / assignment / f"{student}.log").read_text()
            for student, assignment in submissions()}
    assert all("Autograding" in log for log in logs.values())  # nbgrader's log of that submission
    noisy = [key for key, log in logs.items() if "has changed" in log]
    assert not noisy
    assert "pasted_test, the_layer: test cell ex1_test_weights appeared twice" in logs["pasted_test", "01_the_layer"]


def test_feedback_and_graded_notebooks_are_inert(course):
    assert "\n  01_the_layer hostile: it flooded the output" in course.autograde_summary
    page = feedback_page(course, "hostile", "01_the_layer")
    template_scripts = ActiveContent(feedback_page(course, "untouched", "01_the_layer")).found
    assert ActiveContent(page).found == template_scripts  # the page's own MathJax, nothing from the student
    assert len(template_scripts) <= 2 and all("mathjax" in found.lower() for found in template_scripts)
    assert "<img src=x onerror" not in page and "<script>document.title" not in page  # only escaped, as code
    assert "<b>bold</b>" in page and ">link</a>" in page  # harmless HTML stays
    assert len(page.encode()) < 1_000_000  # ten megabytes of output, capped
    graded = nbformat.read(course.root / "autograded" / "hostile" / "01_the_layer" / "the_layer.ipynb",
                           as_version=4)
    kinds = {kind for cell in graded.cells if cell.cell_type == "code" for output in cell.outputs
             for kind in output.get("data", {})}
    assert "application/javascript" not in kinds and "text/html" in kinds
    html_outputs = [output.data["text/html"] for cell in graded.cells if cell.cell_type == "code"
                    for output in cell.outputs if "text/html" in output.get("data", {})]
    assert html_outputs and not ActiveContent("".join(html_outputs)).found
    text = sum(len(output.get("text", "")) for cell in graded.cells if cell.cell_type == "code"
               for output in cell.outputs)
    assert 0 < text < 200_000


def test_grades_by_test_tells_the_true_reason(course):
    generic = [row for row in course.rows if "autograde log" in row["reason"]]
    assert not generic
    lost = [row for row in course.rows if float(row["score"]) < float(row["max_score"])]
    assert lost and all(row["reason"] for row in lost)
    for row in lost:
        if row["student_id"] == "deleted_ex2":
            assert names_in(row["assignment"])["class2"] in row["reason"]
    unreadable = [row for row in lost if row["student_id"] == UNREADABLE]
    assert unreadable and all(row["reason"].startswith("the_layer.ipynb could not be graded") for row in unreadable)
