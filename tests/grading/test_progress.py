"""The progress view's parts, on small notebooks made here (tests/course/test_progress.py
runs it on the real course)."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from mlkit.grading import progress


def graded(source, grade_id, points=None, solution=False, outputs=()):
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata.nbgrader = {"grade_id": grade_id, "grade": points is not None, "solution": solution,
                              "locked": not solution, **({"points": points} if points is not None else {})}
    return cell


STUB = "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def exercise_notebook(solution=STUB, header=()):
    return new_notebook(cells=[
        *header,
        graded(solution, "ex1_double", solution=True),
        graded('from mlkit import grading\nwith grading.exercise("double doubles"):\n'
               '    grading.check_equal(double(2), 4, "double(2)")', "ex1_test_value", points=2),
        graded('from mlkit import grading\nwith grading.exercise("double keeps the type"):\n'
               '    grading.check_type(double(2), int, "double(2)")', "ex1_test_type", points=1),
        graded("def halve(x):\n    raise NotImplementedError()", "ex2_halve", solution=True),
        graded("assert halve(4) == 2", "ex2_test", points=3),
    ])


def test_a_notebook_nobody_touched_is_not_run():
    book = exercise_notebook()
    assert not progress.worked_on(book)
    assert progress.exercises(book) == {"ex1": ("ex1_double", 3), "ex2": ("ex2_halve", 3)}
    assert progress.worked_on(exercise_notebook("def double(x):\n    return 2 * x"))
    ran = exercise_notebook()
    ran.cells[0].execution_count = 1
    assert progress.worked_on(ran)


@pytest.mark.parametrize("solution, expected", [
    ("def double(x):\n    return 2 * x", [(progress.PASSES, ""), (progress.NOT_STARTED, "")]),
    ("def double(x):\n    return 2.0 * x", [(progress.FAILS, "✗ double keeps the type Checked: double(2)"),
                                            (progress.NOT_STARTED, "")]),
    ("def double(x):\n    return x + 1", [(progress.FAILS, "✗ double doubles Checked: double(2)"),
                                          (progress.NOT_STARTED, "")]),
    (STUB + "\nx = 1", [(progress.NOT_STARTED, ""), (progress.NOT_STARTED, "")]),
])
def test_each_exercise_gets_the_status_of_its_test_cells_run_in_a_kernel(tmp_path, solution, expected):
    path = tmp_path / "notebook.ipynb"
    nbformat.write(exercise_notebook(solution), path)
    run, stopped = progress.run_notebook(path)
    assert stopped is None
    rows = progress.statuses_of_run("01_x", run)
    assert [(row.status, row.message) for row in rows] == expected
    assert [(row.exercise, row.points) for row in rows] == [("ex1_double", 3), ("ex2_halve", 3)]


def test_an_error_outside_the_checks_is_named():
    output = new_output("error", ename="NameError", evalue="name 'halve' is not defined",
                        traceback=["\x1b[0;31mNameError\x1b[0m Traceback", "..."])
    assert progress.first_message(output) == "NameError: name 'halve' is not defined"


def test_a_notebook_that_kills_its_kernel_fails_the_exercises_worked_on(tmp_path):
    crash = new_code_cell("import os\nos._exit(1)")
    course = tmp_path / "course"
    (course / "01_x").mkdir(parents=True)
    nbformat.write(exercise_notebook("def double(x):\n    return 2 * x", header=[crash]), course / "01_x" / "x.ipynb")
    rows = progress.course_progress(course)
    assert [row.status for row in rows] == [progress.FAILS, progress.NOT_STARTED]
    assert "stopped before its end: DeadKernelError" in rows[0].message


def test_the_progress_cells_themselves_are_not_run(tmp_path):
    view = new_code_cell("raise SystemExit('the progress cell ran')", metadata={"tags": [progress.PROGRESS_TAG]})
    path = tmp_path / "notebook.ipynb"
    nbformat.write(exercise_notebook("def double(x):\n    return 2 * x", header=[view]), path)
    run, stopped = progress.run_notebook(path)
    assert stopped is None and len(run.cells) == 5
    assert not any(output.get("output_type") == "error" for output in run.cells[1].outputs)


def test_the_table_and_summary():
    rows = [progress.ExerciseStatus("01_x", "ex1_double", 3, progress.PASSES),
            progress.ExerciseStatus("01_x", "ex2_halve", 2.5, progress.FAILS, "✗ halve\n  Expected: 2 " + "x" * 80)]
    lines = progress.format_table(rows).splitlines()
    assert lines[0].split() == ["notebook", "exercise", "points", "status"]
    message = lines[2].split("  fails: ")[1]  # on one line, shortened to 70 characters
    assert message.startswith("✗ halve Expected: 2 xxx") and message.endswith("x…") and len(message) == 70
    assert progress.summary(rows) == ("1 of 2 exercises pass their visible checks: 3 of 5.5 points "
                                      "(hidden tests may still find more).")


def test_the_chart_stacks_points_by_status():
    import matplotlib

    matplotlib.use("Agg")
    rows = [progress.ExerciseStatus("00_a", "ex1", 3, progress.PASSES),
            progress.ExerciseStatus("00_a", "ex2", 2, progress.FAILS, "✗"),
            progress.ExerciseStatus("01_b", "ex1", 4, progress.NOT_STARTED)]
    axes = progress.plot(rows)
    bars = {(patch.get_y(), patch.get_x(), patch.get_width()) for patch in axes.patches if patch.get_width()}
    assert len(bars) == 3
    assert sorted(width for _, _, width in bars) == [2, 3, 4]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        progress.PASSES, progress.FAILS, progress.NOT_STARTED]


def test_show_runs_in_its_own_process_and_leaves_the_session_alone(tmp_path):
    """The notebook cell: a kernel with the learner's state runs show(); the state is untouched."""
    from nbclient import NotebookClient

    course = tmp_path / "course"
    (course / "01_x").mkdir(parents=True)
    nbformat.write(exercise_notebook("def double(x):\n    return 2 * x"), course / "01_x" / "x.ipynb")
    session = new_notebook(cells=[
        new_code_cell("def double(x):\n    return 'mine'"),
        new_code_cell("%matplotlib inline\nfrom mlkit.grading import progress\nprogress.show()"),
        new_code_cell("print(double(2), 'halve' in globals())"),
    ])
    NotebookClient(session, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(course / "01_x")}}).execute()
    text = "".join(output.get("text", "") for output in session.cells[1].outputs)
    assert "ex1_double" in text and progress.PASSES in text and "3 of 6 points" in text
    assert any("image/png" in output.get("data", {}) for output in session.cells[1].outputs)
    assert not any(output["output_type"] == "execute_result" for output in session.cells[1].outputs)
    assert session.cells[2].outputs[0]["text"] == "mine False\n"


def test_the_command_line_prints_the_table_or_json(tmp_path, capsys):
    from mlkit.grading.__main__ import main

    course = tmp_path / "course"
    (course / "01_x").mkdir(parents=True)
    nbformat.write(exercise_notebook(), course / "01_x" / "x.ipynb")
    assert main(["--root", str(tmp_path), "progress"]) == 0
    assert "01_x      ex1_double       3  not started" in capsys.readouterr().out
    assert main(["progress", "--course", str(course), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[1] == {
        "notebook": "01_x", "exercise": "ex2_halve", "points": 3, "status": progress.NOT_STARTED, "message": ""}
    assert main(["progress", "--course", str(tmp_path / "nowhere")]) == 1
    assert "holds no notebooks" in capsys.readouterr().err


@pytest.mark.parametrize("variable, value", [("NBGRADER_EXECUTION", "autograde"), ("MLKIT_GRADING_MODE", "probe")])
def test_show_does_nothing_while_the_notebook_is_graded(tmp_path, monkeypatch, capsys, variable, value):
    """Validate, autograde and the grading sandbox run every cell, this one too: it must not
    run the whole course."""
    import subprocess

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("MLKIT_GRADING_MODE", raising=False)
    monkeypatch.setenv(variable, value)
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: pytest.fail("the view ran during grading"))
    progress.show(tmp_path)
    assert capsys.readouterr().out == f"(the progress view is not run while the notebook is graded: {value})\n"
