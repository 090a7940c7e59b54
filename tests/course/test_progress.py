"""The progress view on the real notebooks: a learner who solved 00–02 and half of 03.

The learner's folder is built in a temp folder from the committed course/
(the release), with the instructor's solutions filled in where the learner
solved an exercise; it holds course/ only, so the view cannot read
solutions/ even by mistake.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import progress
from mlkit.grading.instructor import BY_PRODUCTS

ROOT = Path(__file__).resolve().parents[2]
SOLVED = {"00_welcome": None, "01_the_layer": None, "02_weights_and_state": None,
          "03_config_and_saving": ["ex1_"]}  # exercises solved (None: all)


def learner_course(folder, make_course_folder, solved):
    """course/ as a learner left it: the release, with the exercises of `solved` done."""
    instructor = make_course_folder(folder / "instructor", list(solved))
    shutil.copytree(ROOT / "course", instructor.root / "course", ignore=shutil.ignore_patterns(*BY_PRODUCTS))
    course = folder / "learner" / "course"
    shutil.copytree(instructor.root / "course", course)
    for assignment, exercises in solved.items():
        for path in (course / assignment).glob("*.ipynb"):
            nbformat.write(instructor.solved_notebook(assignment, path.name, exercises), path)
    return course


@pytest.fixture(scope="module")
def learner(tmp_path_factory, make_course_folder):
    return learner_course(tmp_path_factory.mktemp("progress"), make_course_folder, SOLVED)


@pytest.fixture(scope="module")
def rows(learner):
    result = subprocess.run([sys.executable, "-m", "mlkit.grading", "progress", "--course", str(learner), "--json"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return [progress.ExerciseStatus(**row) for row in json.loads(result.stdout)]


def exercise_count(assignment):
    book = nbformat.read(next((ROOT / "course" / assignment).glob("*.ipynb")), as_version=4)
    return len(progress.exercises(book))


def test_the_learner_folder_holds_no_solutions(learner):
    assert sorted(p.name for p in learner.parent.iterdir()) == ["course"]
    for path in learner.rglob("*.ipynb"):
        assert "BEGIN HIDDEN TESTS" not in path.read_text()


def test_solved_notebooks_pass_their_visible_checks(rows):
    print("\n" + progress.format_table(rows) + "\n\n" + progress.summary(rows))
    by_notebook = {}
    for row in rows:
        by_notebook.setdefault(row.notebook, []).append(row)
    assert list(by_notebook) == sorted(p.name for p in (ROOT / "course").iterdir() if p.is_dir())
    for name in ("00_welcome", "01_the_layer", "02_weights_and_state"):
        assert [row.status for row in by_notebook[name]] == [progress.PASSES] * exercise_count(name), by_notebook[name]
    assert [row.status for row in by_notebook["03_config_and_saving"]] == [
        progress.PASSES, progress.NOT_STARTED, progress.NOT_STARTED]
    for name, notebook_rows in by_notebook.items():
        if name not in SOLVED:
            assert {row.status for row in notebook_rows} == {progress.NOT_STARTED}


def test_points_are_those_of_the_test_cells(rows):
    book = nbformat.read(ROOT / "course" / "01_the_layer" / "the_layer.ipynb", as_version=4)
    points = [cell.metadata.nbgrader.get("points", 0) for cell in book.cells
              if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")]
    assert sum(row.points for row in rows if row.notebook == "01_the_layer") == sum(points) > 0
    assert [(row.exercise, row.points) for row in rows if row.notebook == "01_the_layer"] == [
        ("ex1_simple_dense", 6), ("ex2_compute_sum", 3)]


def test_a_mistake_fails_with_the_first_message(tmp_path, make_course_folder):
    course = learner_course(tmp_path, make_course_folder, {"01_the_layer": ["ex1_"]})
    path = course / "01_the_layer" / "the_layer.ipynb"
    book = nbformat.read(path, as_version=4)
    cell = next(c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1_simple_dense")
    cell.source = cell.source.replace("ops.matmul(inputs, self.kernel)", "ops.matmul(inputs, self.kernel) * 2")
    assert "* 2" in cell.source
    nbformat.write(book, path)
    rows = [row for row in progress.course_progress(course) if row.notebook == "01_the_layer"]
    assert [row.status for row in rows] == [progress.FAILS, progress.NOT_STARTED]
    assert rows[0].message.startswith("✗ SimpleDense computes"), rows[0].message


PROGRESS_SOURCE = "from mlkit.grading import progress\n\nprogress.show()"


@pytest.mark.parametrize("path", sorted(ROOT.glob("course/*/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb")),
                         ids=lambda path: f"{path.parent.parent.name}/{path.parent.name}")
def test_every_notebook_ends_with_the_progress_cell(path):
    """...and 00 also starts with it, right after its setup cell. nbval skips it: it runs every notebook."""
    book = nbformat.read(path, as_version=4)
    views = [index for index, cell in enumerate(book.cells) if progress.PROGRESS_TAG in cell.metadata.get("tags", [])]
    code = [index for index, cell in enumerate(book.cells) if cell.cell_type == "code"]
    expected = [code[1], len(book.cells) - 1] if path.parent.name.startswith("00_") else [len(book.cells) - 1]
    assert views == expected
    for index in views:
        assert book.cells[index].source.endswith(PROGRESS_SOURCE)
        assert "nbval-skip" in book.cells[index].metadata.tags
