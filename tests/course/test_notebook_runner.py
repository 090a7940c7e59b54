"""The notebook runner in conftest.py tells a stub from a bug.

A throwaway course (this folder's conftest.py and notebook list, plus small
notebooks) is tested by pytest in a subprocess: a student notebook that
stops at its stub is an expected failure, but a NameError in a student
notebook fails, and so does a stub left in an instructor notebook.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from mlkit.grading.authoring import code_cell, graded_cell, notebook, setup_cell, solution_cell

HERE = Path(__file__).resolve().parent

STUB = "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
TEST = 'from mlkit import grading\n\nwith grading.exercise("double"):\n    grading.check_equal(double(2), 4, "double(2)")'


def write(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(cells), path)


def test_stubs_are_expected_failures_and_other_errors_fail(tmp_path):
    (tmp_path / "tests" / "course").mkdir(parents=True)
    shutil.copy(HERE / "conftest.py", tmp_path / "tests" / "course" / "conftest.py")
    shutil.copy(HERE / "course_notebooks.txt", tmp_path / "tests" / "course" / "course_notebooks.txt")
    setup = setup_cell("from mlkit import grading")
    write(tmp_path / "course" / "a" / "stub.ipynb", [
        setup, solution_cell("ex1_double", STUB), code_cell("double(3)"), graded_cell("ex1_test_double", 1, TEST),
        code_cell("print('after the stub')"),
    ])
    write(tmp_path / "course" / "a" / "bug.ipynb", [setup, code_cell("print(undefined_name)")])
    write(tmp_path / "solutions" / "a" / "stub.ipynb", [setup, solution_cell("ex1_double", STUB), code_cell("double(3)")])

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rxf", "-p", "no:cacheprovider", "tests/course"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    outcomes = dict((name, outcome) for outcome, name in
                    re.findall(r"^(XFAIL|FAILED) (.+?) - ", result.stdout, flags=re.M))
    assert outcomes == {
        "course/a/stub.ipynb::Cell 2": "XFAIL",   # double(3) raises the stub's NotImplementedError
        "course/a/stub.ipynb::Cell 3": "XFAIL",   # the test cell says "Not done yet"
        "course/a/bug.ipynb::Cell 1": "FAILED",   # a NameError is a bug, even in a student notebook
        "solutions/a/stub.ipynb::Cell 2": "FAILED",  # an instructor notebook may not stop at a stub
    }, result.stdout
    assert re.search(r"2 failed, 6 passed, 2 xfailed", result.stdout), result.stdout
