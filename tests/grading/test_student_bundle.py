"""The student bundle: course/ and the package, and nothing of the answers."""

import subprocess
import sys
import tarfile

import pytest

from mlkit.grading import student_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle") / "mlkit-course-student"
    archive = student_bundle.build(folder)
    return folder, archive


def test_it_holds_the_course_and_a_package_that_imports(bundle):
    folder, _ = bundle
    assert sorted(p.name for p in (folder / "course").iterdir() if p.is_dir())[:2] == ["00_welcome", "01_the_layer"]
    result = subprocess.run([sys.executable, "-c", "import mlkit, mlkit.grading; print(mlkit.__file__)"],
                            cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(folder))


def test_it_holds_no_solutions_hidden_tests_or_instructor_tools(bundle):
    folder, archive = bundle
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    assert not {n for n in names if n.startswith(("solutions", "tests", "docs", "submitted", ".nbgrader"))}
    assert "mlkit/grading/instructor.py" not in names and "mlkit/grading/authoring.py" not in names
    assert student_bundle.leaked_files(folder) == []
    with tarfile.open(archive) as tar:
        assert not [m.name for m in tar.getmembers() if "/solutions" in m.name]


def test_a_leak_stops_the_build(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / "course" / "00").mkdir(parents=True)
    (root / "course" / "00" / "n.ipynb").write_text('{"cells": ["### BEGIN HIDDEN TESTS"]}')
    (root / "mlkit").mkdir()
    with pytest.raises(RuntimeError, match="course/00/n.ipynb"):
        student_bundle.build(tmp_path / "out", root=root)
    assert not (tmp_path / "out").exists()
