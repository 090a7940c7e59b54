"""The red team's course: a small two-exercise assignment, and the course helpers of tests/course.

Each attack is a real submission graded by the real pipeline (sandboxed
kernels, the trusted judge, nbgrader's gradebook). The assignment is small
so that a class of attackers is graded in one autograde run in minutes.
"""

import importlib.util
from pathlib import Path

import pytest

from mlkit.grading import sandbox

_COURSE_HELPERS = Path(__file__).resolve().parents[1] / "course" / "conftest.py"


def course_helpers():
    """tests/course/conftest.py as a module (its CourseFolder and copy_course)."""
    spec = importlib.util.spec_from_file_location("course_helpers", _COURSE_HELPERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sandbox_available():
    reason = sandbox.unavailable_reason()
    if reason is not None:
        pytest.skip(f"no sandbox here: {reason}")
