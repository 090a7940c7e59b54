"""The instructor's workflow end to end, on the real notebooks, in a temp copy of the course.

Release solutions/, submit three simulated students for every notebook
(ada: every exercise solved; bob: the release untouched; cyd: exercise 1
solved only), autograde, generate feedback, export grades, and check the
gradebook, the feedback and the CSV files. The same fresh release is
compared with the committed course/, which must be up to date.
"""

import csv
import html
import re
from pathlib import Path

import nbformat
import pytest

from mlkit.grading.instructor import assignments, is_by_product

ROOT = Path(__file__).resolve().parents[2]

STUDENTS = {"ada": None, "bob": [], "cyd": ["ex1_"]}  # exercises solved (None: all)


def notebooks():
    return [(name, path.name) for name in assignments(ROOT)
            for path in sorted((ROOT / "solutions" / name).glob("*.ipynb"))]


def points_of_tests(assignment, notebook, prefixes=None):
    """{grade_id: points} of the test cells (of the exercises with these prefixes)."""
    book = nbformat.read(ROOT / "solutions" / assignment / notebook, as_version=4)
    return {
        cell.metadata.nbgrader["grade_id"]: cell.metadata.nbgrader["points"]
        for cell in book.cells
        if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")
        and (prefixes is None or cell.metadata.nbgrader["grade_id"].startswith(tuple(prefixes)))
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, make_course_folder):
    course = make_course_folder(tmp_path_factory.mktemp("pipeline"))
    course.release()
    for assignment, notebook in notebooks():
        for student, exercises in STUDENTS.items():
            course.submit(student, assignment, notebook, course.solved_notebook(assignment, notebook, exercises))
    results = course.autograde()
    course.feedback()
    course.grades_files = course.instructor.export_grades(
        course.root, course.root / "grades.csv", course.root / "grades_by_test.csv", config=course.config
    )
    course.results = results
    return course


def test_committed_course_is_the_release_of_solutions(graded):
    problems = []
    for assignment, _ in notebooks():
        problems += graded.instructor.release_folder_differences(
            ROOT / "course" / assignment, graded.root / "course" / assignment, f"course/{assignment}"
        )
    stray = sorted(p.name for p in (ROOT / "course").iterdir()
                   if p.is_dir() and not is_by_product(Path(p.name)) and not (ROOT / "solutions" / p.name).exists())
    assert not problems and not stray, (
        "course/ is stale: run `make release` (python -m mlkit.grading release)\n" + "\n".join(problems + stray)
    )


def test_every_submission_was_graded(graded):
    assert set(graded.results) == {(a, s) for a, _ in notebooks() for s in STUDENTS}
    failed = {key: outcome.problems + [outcome.log] for key, outcome in graded.results.items() if not outcome.graded}
    assert not failed, failed
    repaired = {key: outcome.repairs for key, outcome in graded.results.items() if outcome.repairs}
    assert not repaired, "an untouched or solved notebook needs no repair"


def test_every_test_cell_is_judged_by_the_grader(graded):
    """No test cell of the course keeps the sandboxed kernel's own verdict (see judge.py)."""
    for (assignment, student), outcome in graded.results.items():
        assert "Running the notebook's" in outcome.log  # the execute step's log is the submission's
        assert "judged in the sandbox only" not in outcome.log, (assignment, student, outcome.log)


@pytest.mark.parametrize("assignment, notebook", notebooks())
def test_full_solution_gets_full_marks(graded, assignment, notebook):
    scores = graded.scores("ada", assignment, notebook)
    assert scores == {grade_id: (points, points) for grade_id, points in points_of_tests(assignment, notebook).items()}


@pytest.mark.parametrize("assignment, notebook", notebooks())
def test_untouched_release_scores_zero(graded, assignment, notebook):
    scores = graded.scores("bob", assignment, notebook)
    assert scores == {grade_id: (0, points) for grade_id, points in points_of_tests(assignment, notebook).items()}


@pytest.mark.parametrize("assignment, notebook", notebooks())
def test_partial_work_earns_exactly_its_points(graded, assignment, notebook):
    scores = graded.scores("cyd", assignment, notebook)
    earned = points_of_tests(assignment, notebook, ["ex1_"])
    assert earned, "every notebook has an exercise 1"
    assert sum(score for score, _ in scores.values()) == sum(earned.values())
    assert {g for g, (score, _) in scores.items() if score} == set(earned)


def hidden_lines(assignment, notebook):
    """Lines of hidden test code (stripped) that appear nowhere in the student notebook."""
    source = nbformat.read(ROOT / "solutions" / assignment / notebook, as_version=4)
    released = nbformat.read(ROOT / "course" / assignment / notebook, as_version=4)
    visible = "\n".join(cell.source for cell in released.cells)
    lines = set()
    for cell in source.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, flags=re.S):
            lines |= {" ".join(line.split()) for line in block.split("\n")
                      if len(line.strip()) > 12 and line.strip() not in visible}
    return lines


def page_text(page):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


@pytest.mark.parametrize("assignment, notebook", notebooks())
@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_feedback_never_shows_hidden_tests(graded, student, assignment, notebook):
    hidden = hidden_lines(assignment, notebook)
    assert hidden, f"{assignment}/{notebook} has hidden tests"
    autograded = "\n".join(" ".join(c.source.split()) for c in graded.autograded(student, assignment, notebook).cells)
    assert any(line in " ".join(autograded.split()) for line in hidden), "the autograded notebook keeps them"
    text = page_text(graded.feedback_html(student, assignment, notebook))
    assert "HIDDEN TESTS" not in text
    leaked = [line for line in hidden if line in text]
    assert not leaked, leaked


def test_feedback_explains_what_is_missing(graded):
    text = page_text(graded.feedback_html("bob", "01_the_layer", "the_layer.ipynb"))
    assert "Not done yet: `SimpleDense.__init__` still raises NotImplementedError." in text
    text = page_text(graded.feedback_html("ada", "01_the_layer", "the_layer.ipynb"))
    assert "✓ SimpleDense sizes its kernel from the last axis of the input" in text  # a hidden check's title


def test_grade_files(graded):
    grades_path, by_test_path = graded.grades_files
    with open(grades_path) as handle:
        rows = {(row["student_id"], row["assignment"]): row for row in csv.DictReader(handle)}
    for assignment, notebook in notebooks():
        total = sum(points_of_tests(assignment, notebook).values())
        assert float(rows["ada", assignment]["score"]) == total == float(rows["ada", assignment]["max_score"])
        assert float(rows["bob", assignment]["score"]) == 0
        assert float(rows["cyd", assignment]["score"]) == sum(points_of_tests(assignment, notebook, ["ex1_"]).values())
    with open(by_test_path) as handle:
        by_test = list(csv.DictReader(handle))
    bob = [row for row in by_test if row["student_id"] == "bob"]
    assert bob and all("Not done yet" in row["reason"] for row in bob)
    assert all(row["reason"] == "" for row in by_test if row["student_id"] == "ada")


def test_the_leak_check_would_notice_hidden_tests(graded):
    """Without ClearHiddenTests in the config, feedback shows hidden tests: the check above sees it."""
    from nbgrader.converters.generate_feedback import GenerateFeedback

    config = graded.instructor.with_overrides(
        graded.config, GenerateFeedback__preprocessors=GenerateFeedback.class_traits()["preprocessors"].default(),
        CourseDirectory__feedback_directory="feedback_unsafe",
    )
    graded.instructor.feedback(graded.root, ["01_the_layer"], config=config)
    page = (graded.root / "feedback_unsafe" / "ada" / "01_the_layer" / "the_layer.html").read_text()
    assert [line for line in hidden_lines("01_the_layer", "the_layer.ipynb") if line in page_text(page)]
