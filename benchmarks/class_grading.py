"""Grading a class: plain `nbgrader autograde` beside `python -m mlkit.grading autograde`.

One simulated class of 01_the_layer (default 60 students: solved, partly
solved, wrong, untouched, crashing and a few endless loops, in a fixed
mix) is graded, in one run, three ways, each in a fresh copy of the course:

- nbgrader : `nbgrader autograde 01_the_layer`, nbgrader's own loop over the
             students with the course's steps (nbgrader_config.py), one at a time;
- workers=1: `python -m mlkit.grading autograde --workers 1`;
- default  : `python -m mlkit.grading autograde` (one worker per core).

Prints students per minute for each, the ratios, and whether the gradebooks
agree (workers=1 and the default must be identical).

`--breakdown` measures instead where one student's time goes: a class of
solved submissions graded in this process, one notebook at a time, the
seconds of each step per student as the grader itself measures them
(`ClassReport.step_seconds`): nbgrader's prepare, the sandboxed kernel's
start, the first cell (its imports), the other cells, the judging, the
kernel's end, nbgrader's scoring.

    python benchmarks/class_grading.py [--students 60] [--assignment 01_the_layer]
    python benchmarks/class_grading.py --breakdown [--students 8]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from mlkit.grading.authoring import solved

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK_OF = {"01_the_layer": "the_layer.ipynb"}
# The mix of a class: (kind, share). Loops are rare but dominate nbgrader's time.
MIX = [("solved", 0.45), ("first_exercise", 0.15), ("wrong", 0.12), ("untouched", 0.12),
       ("crash", 0.11), ("endless_loop", 0.05)]


def edit(book, grade_id, change):
    cell = next(c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = change(cell.source)
    return book


def submission(kind, student_book, source_book):
    fresh = lambda: nbformat.from_dict(student_book)  # a copy
    if kind == "untouched":
        return fresh()
    book = solved(fresh(), source_book)
    if kind == "first_exercise":
        return edit(book, "ex2_compute_sum", lambda s: student_cell(student_book, "ex2_compute_sum"))
    if kind == "wrong":
        return edit(book, "ex1_simple_dense", lambda s: s.replace(" + self.bias", ""))
    if kind == "crash":
        return edit(book, "ex2_compute_sum", lambda s: s.replace(
            "def call(self, inputs):\n", "def call(self, inputs):\n        import os; os._exit(1)\n"))
    if kind == "endless_loop":
        return edit(book, "ex1_simple_dense", lambda s: s.replace(
            "def call(self, inputs):\n", "def call(self, inputs):\n        while True:\n            pass\n"))
    return book


def student_cell(book, grade_id):
    return next(c.source for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def kinds(students):
    counts = [(kind, max(1, round(share * students))) for kind, share in MIX]
    names = [kind for kind, count in counts for _ in range(count)]
    return names[:students]


def make_class(folder, assignment, students):
    """A copy of the course with `students` submissions of `assignment` in submitted/."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
    shutil.copytree(ROOT / "course" / assignment, folder / "course" / assignment)
    notebook = NOTEBOOK_OF[assignment]
    student_book = nbformat.read(folder / "course" / assignment / notebook, as_version=4)
    source_book = nbformat.read(folder / "solutions" / assignment / notebook, as_version=4)
    for number, kind in enumerate(kinds(students)):
        target = folder / "submitted" / f"{kind}_{number:03d}" / assignment
        target.mkdir(parents=True)
        nbformat.write(submission(kind, student_book, source_book), target / notebook)
    # Record the assignment in the gradebook (plain nbgrader needs it first).
    subprocess.run([BIN / "nbgrader", "generate_assignment", assignment, "--force"], cwd=folder,
                   capture_output=True, check=True, env=environment())


def environment():
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def run(folder, *command):
    start = time.perf_counter()
    result = subprocess.run([str(part) for part in command], cwd=folder, capture_output=True, text=True,
                            env=environment())
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):  # 1: some submissions had problems (crashes are expected)
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


def gradebook_scores(folder, assignment):
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{folder / '.nbgrader' / 'gradebook.db'}", "mlkit-course") as gradebook:
        for submission in gradebook.find_assignment(assignment).submissions:
            scores[submission.student.id] = round(submission.score, 3)
    return scores


def breakdown(assignment, students):
    """Where one student's time goes, in seconds per student, one notebook at a time."""
    import warnings

    from mlkit.grading import class_grading, instructor

    warnings.filterwarnings("ignore", message=".*not in session")
    MIX[:] = [("solved", 1.0)]
    with tempfile.TemporaryDirectory(prefix="mlkit-class-breakdown-") as scratch:
        folder = Path(scratch) / "course"
        make_class(folder, assignment, students)
        config = instructor.load_config(folder)
        class_grading.time_budgets(folder, config, [assignment])  # the reference's run, once per course
        submissions = [(assignment, path.parent.name) for path in sorted((folder / "submitted").glob(f"*/{assignment}"))]
        report = class_grading.grade_class(folder, submissions, config, workers=1, show_progress=False)
    graded = sum(outcome.graded for outcome in report.outcomes)
    print(f"{students} solved submissions of {assignment}, one at a time ({graded} graded): "
          f"{report.seconds / students:.2f} s per student, wall clock")
    for step, seconds in sorted(report.step_seconds.items()):
        print(f"  {step:28s} {seconds / students:6.2f} s per student")
    return 0 if graded == students else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=None, help="default: 60 (8 with --breakdown)")
    parser.add_argument("--assignment", default="01_the_layer", choices=sorted(NOTEBOOK_OF))
    parser.add_argument("--breakdown", action="store_true", help="where one student's time goes, step by step")
    arguments = parser.parse_args()
    if arguments.breakdown:
        return breakdown(arguments.assignment, arguments.students or 8)
    arguments.students = arguments.students or 60
    ways = {
        "nbgrader": [BIN / "nbgrader", "autograde", arguments.assignment],
        "workers=1": [BIN / "python", "-m", "mlkit.grading", "autograde", arguments.assignment, "--workers", "1"],
        "default": [BIN / "python", "-m", "mlkit.grading", "autograde", arguments.assignment],
    }
    print(f"a class of {arguments.students} submissions of {arguments.assignment} "
          f"({', '.join(f'{k}: {kinds(arguments.students).count(k)}' for k, _ in MIX)}), {os.cpu_count()} cores")
    seconds, scores = {}, {}
    with tempfile.TemporaryDirectory(prefix="mlkit-class-bench-") as scratch:
        for way, command in ways.items():
            folder = Path(scratch) / way.replace("=", "")
            make_class(folder, arguments.assignment, arguments.students)
            seconds[way] = run(folder, *command)
            scores[way] = gradebook_scores(folder, arguments.assignment)
            print(f"{way:>10}: {seconds[way]:7.1f} s   {60 * arguments.students / seconds[way]:6.1f} students/min")
    base = seconds["nbgrader"]
    for way in ("workers=1", "default"):
        print(f"{way:>10} is {base / seconds[way]:.2f}x plain nbgrader's throughput")
    same = scores["workers=1"] == scores["default"]
    print(f"grades: workers=1 and default {'identical' if same else 'DIFFER'}; "
          f"nbgrader and default {'identical' if scores['nbgrader'] == scores['default'] else 'differ'}")
    if not same:
        differing = {s: (scores["workers=1"].get(s), scores["default"].get(s)) for s in scores["default"]
                     if scores["workers=1"].get(s) != scores["default"].get(s)}
        print("  differing:", differing)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
