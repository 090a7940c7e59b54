"""Where a learner stands: the visible checks of every notebook they worked on.

    python -m mlkit.grading progress             # from the course root: a table

    from mlkit.grading import progress           # in a notebook: the table and a chart
    progress.show()

It reads only the learner's own notebooks in course/ (never solutions/; the
hidden tests are not in those files). Each notebook the learner has worked
on (run, or edited an exercise of) runs from top to bottom in a fresh kernel
of its own, inside a scratch folder, so their session and their folders are
untouched; each exercise then gets one status from its test cells:

- "passes the visible checks" (the hidden tests may still find more);
- "fails", with the first message of the first test cell that failed;
- "not started": its code still raises the stub's NotImplementedError.

Notebooks the learner has not opened are listed as not started without
running them. Save your notebooks first: the view reads the saved files.

    >>> print(format_table([ExerciseStatus("01_the_layer", "ex1_simple_dense", 6, PASSES)]))
    notebook      exercise          points  status
    01_the_layer  ex1_simple_dense       6  passes the visible checks
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

PASSES = "passes the visible checks"
FAILS = "fails"
NOT_STARTED = "not started"

# The errors of a test cell whose exercise still holds its stub.
STUB_ERRORS = {"NotImplementedError", "UnfinishedExercise"}
# Cells tagged so are not run when a notebook is checked (they show this view).
PROGRESS_TAG = "progress-view"
# Seconds one cell may run before the view gives up on that notebook.
CELL_TIMEOUT = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class ExerciseStatus:
    notebook: str       # the assignment folder, e.g. "01_the_layer"
    exercise: str       # the grade_id of the exercise's solution cell, e.g. "ex1_simple_dense"
    points: float       # what its tests are worth
    status: str         # PASSES, FAILS or NOT_STARTED
    message: str = ""   # for FAILS: the first message of the first failing test cell


# -- reading a notebook -------------------------------------------------------

def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _exercise_of(grade_id):
    """'ex1_test_output' -> 'ex1': the prefix that ties test cells to their exercise."""
    return grade_id.split("_", 1)[0]


def exercises(book):
    """{exercise prefix: (solution grade_id, points)} of a notebook, in order."""
    names, points = {}, {}
    for cell in book["cells"]:
        info = _nbgrader(cell)
        if info.get("solution") and cell["cell_type"] == "code":
            names.setdefault(_exercise_of(info["grade_id"]), info["grade_id"])
        elif info.get("grade") and cell["cell_type"] == "code":
            prefix = _exercise_of(info["grade_id"])
            points[prefix] = points.get(prefix, 0) + info.get("points", 0)
    return {prefix: (names.get(prefix, prefix), points.get(prefix, 0)) for prefix in {**names, **points}}


def worked_on(book):
    """Whether the learner has run this notebook or written code in one of its exercises."""
    for cell in book["cells"]:
        if cell["cell_type"] != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count"):
            return True
        if _nbgrader(cell).get("solution") and "raise NotImplementedError" not in cell["source"]:
            return True
    return False


def worked_on_exercise(book, exercise):
    """Whether the learner has written code in the solution cell `exercise` (a grade_id)."""
    return any(_nbgrader(cell).get("grade_id") == exercise and "raise NotImplementedError" not in cell["source"]
               for cell in book["cells"])


def first_message(output):
    """The first line of an error output that tells what went wrong (colours removed)."""
    lines = [_ANSI.sub("", line).strip() for line in output.get("traceback", [])]
    lines = [line for line in lines if line]
    if lines and lines[0].startswith("✗"):
        # A GradingFailure: its title, then the explanation's first line.
        return " ".join(" ".join(lines[:2]).split())
    return f"{output.get('ename', 'Error')}: {_ANSI.sub('', output.get('evalue', ''))}".strip()


def statuses_of_run(name, book):
    """The status of each exercise of a notebook that has been run (outputs in `book`)."""
    results = {}
    for cell in book["cells"]:
        info = _nbgrader(cell)
        if cell["cell_type"] != "code" or not info.get("grade") or info.get("solution"):
            continue
        prefix = _exercise_of(info["grade_id"])
        errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        if prefix in results and results[prefix] != PASSES:
            continue  # the first failure of an exercise is the one shown
        if cell.get("execution_count") is None:
            results[prefix] = NOT_STARTED  # never ran (the kernel stopped before it)
        elif not errors:
            results[prefix] = PASSES
        elif all(error.get("ename") in STUB_ERRORS for error in errors):
            results[prefix] = NOT_STARTED
        else:
            results[prefix] = (FAILS, first_message(errors[0]))
    rows = []
    for prefix, (exercise, points) in exercises(book).items():
        outcome = results.get(prefix, NOT_STARTED)
        status, message = outcome if isinstance(outcome, tuple) else (outcome, "")
        rows.append(ExerciseStatus(name, exercise, points, status, message))
    return rows


# -- running the checks -------------------------------------------------------

def run_notebook(path, kernel_name="python3", timeout=CELL_TIMEOUT):
    """`path` executed top to bottom in a fresh kernel, in a scratch folder; returns the run copy.

    Every cell runs even after an error (as a learner who runs all cells
    would see them), except those tagged PROGRESS_TAG.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    book = nbformat.read(path, as_version=4)
    to_run = [cell for cell in book.cells if PROGRESS_TAG not in cell.get("metadata", {}).get("tags", [])]
    run = nbformat.v4.new_notebook(cells=to_run, metadata=book.metadata)
    with tempfile.TemporaryDirectory(prefix="mlkit-progress-") as scratch:
        client = NotebookClient(run, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                                resources={"metadata": {"path": scratch}})
        try:
            client.execute()
        except (DeadKernelError, TimeoutError, RuntimeError) as error:
            return run, f"the notebook stopped before its end: {type(error).__name__}: {error}"
    return run, None


def course_progress(course, log=None):
    """[ExerciseStatus] for every notebook of the folder `course` (the learner's course/)."""
    import nbformat

    from mlkit.grading.by_products import is_by_product

    rows = []
    for path in sorted(Path(course).glob("*/*.ipynb")):
        if is_by_product(path.relative_to(course)):
            continue
        name = path.parent.name
        book = nbformat.read(path, as_version=4)
        if not worked_on(book):
            rows += [ExerciseStatus(name, exercise, points, NOT_STARTED)
                     for exercise, points in exercises(book).values()]
            continue
        if log:
            log(f"running the visible checks of {path.parent.name}/{path.name}...")
        run, stopped = run_notebook(path)
        notebook_rows = statuses_of_run(name, run)
        if stopped:
            for row in notebook_rows:
                if row.status == NOT_STARTED and worked_on_exercise(book, row.exercise):
                    row.status, row.message = FAILS, stopped
        rows += notebook_rows
    return rows


# -- showing it ---------------------------------------------------------------

def format_table(rows, message_width=70):
    """The rows as a plain-text table (plain text: nothing a notebook prints becomes live HTML)."""
    header = ("notebook", "exercise", "points", "status")
    lines = [(row.notebook, row.exercise, f"{row.points:g}",
              row.status + (f": {_shorten(row.message, message_width)}" if row.message else ""))
             for row in rows]
    widths = [max(len(line[column]) for line in [header, *lines]) for column in range(3)]

    def format_line(line):
        return (f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:>{widths[2]}}  {line[3]}").rstrip()

    return "\n".join(format_line(line) for line in [header, *lines])


def summary(rows):
    """One sentence: the points whose visible checks pass, out of all."""
    passing = sum(row.points for row in rows if row.status == PASSES)
    total = sum(row.points for row in rows)
    done = sum(row.status == PASSES for row in rows)
    return (f"{done} of {len(rows)} exercises pass their visible checks: {passing:g} of {total:g} points "
            "(hidden tests may still find more).")


def _shorten(text, width):
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def plot(rows, axes=None):
    """A horizontal bar per notebook: its points that pass, fail, and are not started."""
    import matplotlib.pyplot as plt

    notebooks = list(dict.fromkeys(row.notebook for row in rows))
    if axes is None:
        _, axes = plt.subplots(figsize=(6, 0.3 * len(notebooks) + 1.2))
    left = [0.0] * len(notebooks)
    for status, colour in ((PASSES, "tab:green"), (FAILS, "tab:red"), (NOT_STARTED, "lightgrey")):
        widths = [sum(row.points for row in rows if row.notebook == name and row.status == status)
                  for name in notebooks]
        axes.barh(notebooks, widths, left=left, color=colour, label=status)
        left = [start + width for start, width in zip(left, widths)]
    axes.invert_yaxis()
    axes.set_xlabel("points")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")  # beside the bars, never on them
    axes.set_title("Your progress: visible checks")
    return axes


def show(course=".."):
    """In a notebook: run the checks in a separate process, print the table, draw the chart.

    `course` is the learner's course folder (default: the folder above this notebook's).
    While nbgrader runs the notebook (Validate, autograde: it sets NBGRADER_EXECUTION), or
    the grading sandbox does (it sets MLKIT_GRADING_MODE), it does nothing: grading one
    notebook must not run all the others.
    """
    grading = os.environ.get("NBGRADER_EXECUTION") or os.environ.get("MLKIT_GRADING_MODE")
    if grading:
        print(f"(the progress view is not run while the notebook is graded: {grading})")
        return
    result = subprocess.run([sys.executable, "-m", "mlkit.grading.progress", "--course", str(course),
                             "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"The progress view could not run: {result.stderr.strip()[-500:]}")
        return
    rows = [ExerciseStatus(**row) for row in json.loads(result.stdout)]
    print(format_table(rows))
    print()
    print(summary(rows))
    plot(rows)


def main(course, as_json=False, log=None):
    """The command `python -m mlkit.grading progress`: the table (or JSON) on stdout."""
    course = Path(course)
    if not course.is_dir() or not any(course.glob("*/*.ipynb")):
        raise FileNotFoundError(f"{course} holds no notebooks: give the course folder, e.g. --course course")
    rows = course_progress(course, log=log)
    if as_json:
        return json.dumps([asdict(row) for row in rows])
    return format_table(rows) + "\n\n" + summary(rows)


if __name__ == "__main__":
    # `python -m mlkit.grading.progress [--course FOLDER] [--json]`: what show() runs, and what the
    # student bundle (which has no instructor commands) can run.
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mlkit.grading.progress", description=main.__doc__.split("\n")[0])
    parser.add_argument("--course", default="course", help="the learner's notebooks (default: course/)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    arguments = parser.parse_args()
    print(main(arguments.course, as_json=arguments.json, log=lambda line: print(line, file=sys.stderr)))
