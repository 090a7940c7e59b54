"""What the course costs to run: each notebook executed, and autograded, against its budget.

Two measurements per notebook of `solutions/`, in one run:

- execute  : the instructor notebook run top to bottom in a fresh kernel
             (what CI and a learner's "Restart & Run All" pay);
- autograde: `python -m mlkit.grading autograde` of one submission, a full
             solution and an untouched release averaged (what an instructor
             pays per student and notebook; includes nbgrader's own work),
             in the bubblewrap sandbox with the trusted judge, and beside it
             `--unsafe` (unconfined, the kernel's own verdict: grading as it
             was before the sandbox), with the ratio of the two.

The reference is the budget the course promises: the whole course executes
in under 3 minutes, so 18 s per notebook for ten notebooks. Prints seconds and
the ratio to that budget. Run it with `make bench` or
`python benchmarks/course_cost.py [ASSIGNMENT ...] [--students N]` (needs the course tools:
`pip install -e '.[dev]'`, and bubblewrap for the sandboxed column).
"""

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mlkit.grading import instructor
from mlkit.grading.authoring import solved

ROOT = Path(__file__).resolve().parents[1]
COURSE_BUDGET_SECONDS = 180.0


def notebooks(assignments=None):
    return [path for folder in sorted((ROOT / "solutions").iterdir())
            if folder.is_dir() and (not assignments or folder.name in assignments)
            for path in sorted(folder.glob("*.ipynb"))]


def execute_seconds(path):
    book = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def autograde_seconds(root, assignment, notebook, students, unsafe=False):
    """Mean seconds to autograde one submission, over a class of `students` (half full solutions,
    half untouched releases): the run's fixed costs are shared as in a real class."""
    student_book = nbformat.read(root / "course" / assignment / notebook, as_version=4)
    source_book = nbformat.read(root / "solutions" / assignment / notebook, as_version=4)
    shutil.rmtree(root / "submitted", ignore_errors=True)
    shutil.rmtree(root / "autograded", ignore_errors=True)
    for number in range(students):
        book = solved(student_book, source_book) if number % 2 == 0 else student_book
        folder = root / "submitted" / f"student{number:03d}" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, folder / notebook)
    start = time.perf_counter()
    results = instructor.autograde(root, [assignment], log=None, record=False, unsafe=unsafe)
    seconds = (time.perf_counter() - start) / len(results)
    if not all(outcome.graded for outcome in results.values()):
        raise RuntimeError(f"autograde of {assignment} failed: {results}")
    return seconds


def main():
    warnings.filterwarnings("ignore", message=".*not in session")  # nbgrader's gradebook chatter
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment folders of solutions/ (default: all)")
    parser.add_argument("--students", type=int, default=8,
                        help="submissions graded per notebook and way (default 8: pre-started kernels get used)")
    arguments = parser.parse_args()
    paths = notebooks(arguments.assignments)
    budget = COURSE_BUDGET_SECONDS / len(notebooks())
    with tempfile.TemporaryDirectory(prefix="mlkit-course-cost-") as scratch:
        root = Path(scratch)
        shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(ROOT / "solutions", root / "solutions",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        instructor.release(root, config=instructor.load_config(root), throwaway_gradebook=False)
        print(f"budget: the whole course in {COURSE_BUDGET_SECONDS:.0f} s, {budget:.0f} s per notebook")
        print(f"{'notebook':40s} {'execute s':>10s} {'/budget':>8s} {'autograde s':>12s} "
              f"{'--unsafe s':>11s} {'sandboxed/unsafe':>17s}")
        total = 0.0
        for path in paths:
            seconds = execute_seconds(root / "solutions" / path.parent.name / path.name)
            total += seconds
            grading = autograde_seconds(root, path.parent.name, path.name, arguments.students)
            unsafe = autograde_seconds(root, path.parent.name, path.name, arguments.students, unsafe=True)
            print(f"{path.parent.name:40s} {seconds:10.1f} {seconds / budget:7.2f}x {grading:12.1f} "
                  f"{unsafe:11.1f} {grading / unsafe:16.2f}x")
        print(f"{'whole course':40s} {total:10.1f} {total / COURSE_BUDGET_SECONDS:7.2f}x")


if __name__ == "__main__":
    main()
