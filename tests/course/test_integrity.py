"""The integrity checks run after grading, on a real gradebook and real graded notebooks."""

import sqlite3

import nbformat
import pytest

from mlkit.grading import integrity


@pytest.fixture(scope="module")
def released(tmp_path_factory, make_course_folder):
    """A course with 00_welcome recorded in its gradebook, as `make release` leaves it."""
    course = make_course_folder(tmp_path_factory.mktemp("integrity_course"), assignments=["00_welcome"])
    course.release(["00_welcome"])
    return course


def gradebook_copy(course, tmp_path):
    path = tmp_path / "gradebook.db"
    path.write_bytes((course.root / ".nbgrader" / "gradebook.db").read_bytes())
    return path


def test_a_gradebook_nbgrader_wrote_passes(released, tmp_path):
    path = gradebook_copy(released, tmp_path)
    before = integrity.gradebook_snapshot(path)
    assert integrity.gradebook_problems(path, before, graded=set(), root=released.root) == []


def test_foreign_tables_triggers_and_students_are_named(released, tmp_path):
    path = gradebook_copy(released, tmp_path)
    before = integrity.gradebook_snapshot(path)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE stolen (answer TEXT)")
        connection.execute("CREATE TRIGGER full_marks AFTER INSERT ON grade BEGIN SELECT 1; END")
        connection.execute("INSERT INTO student (id) VALUES ('mallory_friend')")
    problems = integrity.gradebook_problems(path, before, graded={"mallory"}, root=released.root)
    assert "the gradebook has a foreign table 'stolen'" in problems
    assert "the gradebook has a foreign trigger 'full_marks'" in problems
    assert "the gradebook has students nobody graded: mallory_friend" in problems


def test_a_stored_test_cell_that_differs_from_solutions_is_named(released, tmp_path):
    path = gradebook_copy(released, tmp_path)
    before = integrity.gradebook_snapshot(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE source_cell SET source = 'pass' WHERE name = 'ex1_test_example'")
    problems = integrity.gradebook_problems(path, before, graded=set(), root=released.root)
    assert problems == ["the gradebook's test cell ex1_test_example of 00_welcome/welcome.ipynb differs from solutions/"]


def test_a_graded_notebook_tells_what_the_submission_tried():
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    book.cells[0].outputs = [
        nbformat.v4.new_output("error", ename="OSError", evalue="[Errno 30] Read-only file system: '/work'", traceback=[]),
        nbformat.v4.new_output("error", ename="DeadKernelError", evalue="The kernel died", traceback=[]),
    ]
    assert integrity.incidents(book) == ["a write outside its scratch folder was refused",
                                         "the kernel died (killed, crashed or out of memory)"]
    assert integrity.incidents(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])) == []
