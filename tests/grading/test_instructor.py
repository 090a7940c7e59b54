"""The instructor's commands: configuration, kernel check, release comparison, CLI."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import instructor
from mlkit.grading.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_kernel_check_fails_loudly_without_mlkit():
    instructor.check_kernel_can_import("mlkit")
    with pytest.raises(instructor.GradingError, match="(?s)cannot import mlkit: .*otherwise every student scores 0"):
        instructor.check_kernel_can_import("mlkit", command=[sys.executable, "-S", "-I"])


@pytest.mark.parametrize("argv, command", [
    (["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"], [sys.executable]),
    (["/opt/env/bin/python3", "-X", "utf8", "-m", "ipykernel_launcher"], ["/opt/env/bin/python3", "-X", "utf8"]),
])
def test_the_kernel_command_is_what_jupyter_would_start(monkeypatch, argv, command):
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", lambda self, name: KernelSpec(argv=argv))
    assert instructor.kernel_python_command() == command


def test_config_is_read_from_the_course_root(tmp_path):
    with pytest.raises(instructor.GradingError, match="no nbgrader_config.py"):
        instructor.load_config(tmp_path)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    config = instructor.load_config(tmp_path, Execute__timeout=5)
    assert (tmp_path / ".nbgrader").is_dir()  # created: nbgrader would not
    assert config.CourseDirectory.db_url == f"sqlite:///{tmp_path / '.nbgrader' / 'gradebook.db'}"
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "course"
    assert config.Execute.timeout == 5
    assert config.OverwriteCells.add_missing_cells is True
    assert [c.__name__ for c in config.GenerateFeedback.preprocessors] == [
        "GetGrades", "ClearHiddenTestsOfTestCells", "InertOutputs", "CSSHTMLHeaderPreprocessor"]
    autograde_steps = [c.__name__ for c in config.Autograde.autograde_preprocessors]
    assert autograde_steps[0] == "SandboxedExecute"
    assert {"InertOutputs", "ScoreFromChecks"} <= set(autograde_steps)
    assert not {"SaveAutoGrades", "LimitOutput"} & set(autograde_steps)
    sanitize_steps = [c.__name__ for c in config.Autograde.sanitize_preprocessors]
    assert sanitize_steps.index("RepairSubmission") < sanitize_steps.index("OverwriteCells")


def test_the_gradebook_and_student_work_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    for folder in ("/submitted/", "/autograded/", "/feedback/", "/.nbgrader/"):
        assert folder in ignored


@pytest.fixture
def release_copy(tmp_path):
    committed = tmp_path / "committed"
    shutil.copytree(ROOT / "course" / "01_the_layer", committed)
    return committed


def differences(committed):
    return instructor.release_folder_differences(committed, ROOT / "course" / "01_the_layer", "course/01")


def test_release_comparison_finds_each_kind_of_difference(release_copy):
    assert differences(release_copy) == []
    path = release_copy / "the_layer.ipynb"
    book = nbformat.read(path, as_version=4)
    book.cells[3].source += "\n# edited"
    book.cells[4].metadata.nbgrader = {**book.cells[4].metadata.get("nbgrader", {}), "points": 9}
    nbformat.write(book, path)
    (release_copy / "notes.txt").write_text("left over")
    assert differences(release_copy) == [
        "course/01/notes.txt is not produced by the release (left over?)",
        "course/01/the_layer.ipynb: cell 3 differs from a fresh release",
        "course/01/the_layer.ipynb: the nbgrader metadata of cell 4 differs",
    ]
    path.unlink()
    assert "course/01/the_layer.ipynb is missing" in differences(release_copy)
    assert instructor.release_folder_differences(release_copy / "nowhere", release_copy, "x") == ["x is missing"]


def test_failure_reasons_are_read_from_a_graded_notebook(tmp_path):
    book = nbformat.read(ROOT / "course" / "00_welcome" / "welcome.ipynb", as_version=4)
    test_cell = next(c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1_test_example")
    test_cell.outputs = [nbformat.v4.new_output(
        "error", ename="GradingFailure", evalue="", traceback=["\x1b[1;31m✗ count\x1b[0m", "  Expected: 4810"])]
    nbformat.write(book, tmp_path / "graded.ipynb")
    assert instructor.failure_reasons(tmp_path / "graded.ipynb") == {
        None: "", "ex1_test_example": "✗ count / Expected: 4810", "ex1_test_general": ""}
    assert instructor.failure_reasons(tmp_path / "absent.ipynb") == {}


def test_the_command_line_releases_and_checks_the_release(tmp_path, capsys):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "solutions" / "00_welcome", tmp_path / "solutions" / "00_welcome")
    assert main(["--root", str(tmp_path), "release"]) == 0
    assert (tmp_path / "course" / "00_welcome" / "welcome.ipynb").exists()
    assert main(["--root", str(tmp_path), "check-release"]) == 0
    (tmp_path / "course" / "00_welcome" / "extra.txt").write_text("stale")
    capsys.readouterr()
    assert main(["--root", str(tmp_path), "check-release"]) == 1
    assert "course/00_welcome/extra.txt is not produced by the release" in capsys.readouterr().out
    assert main(["--root", str(tmp_path), "autograde"]) == 0
    assert "nothing to grade" in capsys.readouterr().out


def test_the_command_line_explains_itself():
    result = subprocess.run([sys.executable, "-m", "mlkit.grading", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("release", "check-release", "autograde", "feedback", "grades"):
        assert command in result.stdout


def test_the_release_comparison_ignores_what_opening_the_notebooks_leaves(tmp_path, start_jupyter):
    """Notebooks opened and saved through a real Jupyter server (as the lab does:
    read, save, checkpoint) leave .ipynb_checkpoints/ beside them: not a difference."""
    copy = tmp_path / "course-root"
    copy.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", copy / "nbgrader_config.py")
    for name in ("00_welcome", "01_the_layer"):
        for folder in ("solutions", "course"):
            shutil.copytree(ROOT / folder / name, copy / folder / name,
                            ignore=shutil.ignore_patterns(*instructor.BY_PRODUCTS))
    server = start_jupyter(copy)
    for path in ("course/00_welcome/welcome.ipynb", "course/01_the_layer/the_layer.ipynb",
                 "solutions/01_the_layer/the_layer.ipynb"):
        model = server.request("GET", f"/api/contents/{path}?content=1")
        server.request("PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json",
                                                         "content": model["content"]})
        server.request("POST", f"/api/contents/{path}/checkpoints")
    checkpoint = copy / "course" / "01_the_layer" / ".ipynb_checkpoints" / "the_layer-checkpoint.ipynb"
    assert checkpoint.is_file() and (copy / "solutions" / "01_the_layer" / ".ipynb_checkpoints").is_dir()
    # A stray notebook at the top (a learner's Untitled.ipynb) makes course/.ipynb_checkpoints/.
    server.request("PUT", "/api/contents/course/scratch.ipynb", {"type": "notebook", "format": "json",
                                                                 "content": nbformat.v4.new_notebook()})
    server.request("POST", "/api/contents/course/scratch.ipynb/checkpoints")
    assert (copy / "course" / ".ipynb_checkpoints" / "scratch-checkpoint.ipynb").is_file()

    assert instructor.release_differences(copy, ["00_welcome", "01_the_layer"]) == []
    assert instructor.assignments(copy) == ["00_welcome", "01_the_layer"]
    # Checkpoints on the side of the fresh release too (the committed course/ was opened in the lab).
    pristine = tmp_path / "pristine"
    shutil.copytree(ROOT / "course" / "01_the_layer", pristine,
                    ignore=shutil.ignore_patterns(*instructor.BY_PRODUCTS))
    assert instructor.release_folder_differences(pristine, copy / "course" / "01_the_layer", "course/01") == []
    # ...while a real difference is still found beside them.
    (copy / "course" / "01_the_layer" / "notes.txt").write_text("left over")
    assert instructor.release_folder_differences(copy / "course" / "01_the_layer", pristine, "course/01") == [
        "course/01/notes.txt is not produced by the release (left over?)"]
