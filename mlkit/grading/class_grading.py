"""Grading a whole class: many submissions at once, one gradebook writer, progress shown.

One student's notebook is graded in three steps, and only the middle one runs
student code:

1. prepare (the instructor's process): nbgrader's sanitizing step copies the
   submission into autograded/, clears its outputs, restores the read-only
   cells from the gradebook, and records the submission;
2. execute (a worker): the prepared notebook runs top to bottom in a fresh
   kernel (`ResilientExecute`, with the course's limits and a time budget),
   in a scratch folder; the notebook travels there and back as JSON text;
3. score (the instructor's process): nbgrader's other autograde steps on the
   executed notebook: output limits, the scores into the gradebook, late
   penalties.

Steps 1 and 3 touch the gradebook and run only here, one at a time, so the
gradebook has a single writer. Step 2 runs on a pool of local workers (one
per core by default) or on the workers of a Dask cluster:

    from mlkit.grading import class_grading
    report = class_grading.grade_class(".", ["01_the_layer"], workers=4)
    report = class_grading.grade_class(".", scheduler="tcp://10.0.0.5:8786")
    print(report.summary())

A finished student is recorded at once, so an interrupted run (Ctrl-C) keeps
them; the next run grades only what is missing or was resubmitted (a
fingerprint of each graded submission is kept beside its autograded copy).
"""

import concurrent.futures
import hashlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mlkit.grading import instructor
from mlkit.grading.instructor import GradingError

FINGERPRINT_FILE = ".mlkit-graded"
# The time budget of one notebook: this many times the reference solution's
# own execution time, and never less than the floor (kernel start included).
BUDGET_FACTOR = 3.0
BUDGET_FLOOR_SECONDS = 20.0


@dataclass
class StudentResult:
    """What happened to one student's submission of one assignment."""

    assignment: str
    student: str
    status: str = "graded"          # graded | unchanged | problem
    problem: str = ""               # why it could not be graded
    notes: list = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ClassReport:
    results: list = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def by_status(self, status):
        return [r for r in self.results if r.status == status]

    @property
    def ok(self):
        return not self.by_status("problem") and not self.interrupted

    def summary(self):
        graded, unchanged, problems = (self.by_status(s) for s in ("graded", "unchanged", "problem"))
        lines = [f"graded {len(graded)}, unchanged {len(unchanged)} (not graded again), "
                 f"problems {len(problems)}, in {self.seconds:.0f} s"]
        lines += [f"  problem: {r.student} / {r.assignment}: {r.problem}" for r in problems]
        lines += [f"  note: {r.student} / {r.assignment}: {note}" for r in graded for note in r.notes]
        if self.interrupted:
            lines.append("interrupted: the students listed as graded are recorded; run again to grade the rest")
        return "\n".join(lines)


# -- step 2: runs on a worker ------------------------------------------------

def execute_notebook(notebook_json, config, time_budget=None):
    """Run one prepared notebook in a fresh kernel in a scratch folder; return it executed, as JSON.

    `config` is the course's nbgrader configuration (a traitlets Config: its
    Execute and ResilientExecute settings apply). Runs on a local worker
    thread or on a Dask worker; touches no file of the course.
    """
    from mlkit.grading.resilient_execute import ResilientExecute

    book = nbformat.reads(notebook_json, as_version=4)
    with tempfile.TemporaryDirectory(prefix="mlkit-grading-") as scratch:
        executor = ResilientExecute(config=config)
        if time_budget is not None:
            executor.time_budget = time_budget
        executor.preprocess(book, {"metadata": {"path": scratch}})
    return nbformat.writes(book)


# -- where step 2 runs ---------------------------------------------------------

class LocalWorkers:
    """Step 2 on this machine: each worker thread drives one kernel process."""

    def __init__(self, workers):
        self.workers = workers
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading")

    def submit(self, function, *args):
        return self.pool.submit(function, *args)

    def wait_first(self, futures):
        done, _ = concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
        return done

    def close(self, cancel=False):
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskWorkers:
    """Step 2 on the workers of a running Dask cluster (`dask scheduler` + `dask worker`).

    A worker that dies takes its tasks with it; the scheduler runs them again
    on another worker. Only this process writes the gradebook, once per task.
    """

    def __init__(self, scheduler):
        try:
            from distributed import Client
        except ImportError as error:
            raise GradingError(
                "grading on a Dask cluster needs the `distributed` package: pip install 'dask[distributed]'"
            ) from error
        self.client = Client(scheduler, timeout="30s")
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, function, *args):
        return self.client.submit(function, *args, pure=False)

    def wait_first(self, futures):
        from distributed import wait

        return wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel=False):
        self.client.close()


def workers_for(workers=None, scheduler=None):
    scheduler = scheduler or os.environ.get("MLKIT_GRADING_SCHEDULER")
    if scheduler:
        return DaskWorkers(scheduler)
    return LocalWorkers(workers or os.cpu_count() or 1)


# -- steps 1 and 3: the instructor's process --------------------------------

def submission_fingerprint(folder):
    """A hash of everything a student handed in for one assignment (notebooks, timestamp)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class Gradebook:
    """The nbgrader steps that read and write the gradebook (prepare, score), for one course."""

    def __init__(self, root, config):
        self.root = Path(root)
        self.instructor = instructor
        self.config = config
        self.api = instructor.api_for(root, config)
        self.submitted = self.root / self.api.coursedir.submitted_directory
        self.autograded = self.root / self.api.coursedir.autograded_directory
        steps = list(config.Autograde.get("autograde_preprocessors", []))
        if not steps:
            from nbgrader.converters import Autograde

            steps = list(Autograde.autograde_preprocessors.default_value)
        self.executes = [step for step in steps if _is_execute(step)]
        self.after_execute = [step for step in steps if not _is_execute(step)]

    def prepared_notebooks(self, assignment, student):
        """Step 1: sanitize the submission into autograded/; {notebook file name: JSON text}."""
        api = self.instructor.api_for(self.root, self.config, Autograde__autograde_preprocessors=[])
        self._require(api.autograde(assignment, student, force=True, create=True), "preparing")
        folder = self.autograded / student / assignment
        return {path.name: path.read_text() for path in sorted(folder.glob("*.ipynb"))}

    def record(self, assignment, student, executed):
        """Step 3: score the executed notebooks into the gradebook and autograded/."""
        with tempfile.TemporaryDirectory(prefix="mlkit-executed-") as scratch:
            folder = Path(scratch) / student / assignment
            folder.mkdir(parents=True)
            for name, text in executed.items():
                (folder / name).write_text(text)
            timestamp = self.submitted / student / assignment / "timestamp.txt"
            if timestamp.exists():
                (folder / "timestamp.txt").write_bytes(timestamp.read_bytes())
            api = self.instructor.api_for(
                self.root, self.config, CourseDirectory__submitted_directory=scratch,
                Autograde__sanitize_preprocessors=[], Autograde__autograde_preprocessors=self.after_execute,
            )
            self._require(api.autograde(assignment, student, force=True, create=True), "scoring")
        fingerprint = submission_fingerprint(self.submitted / student / assignment)
        (self.autograded / student / assignment / FINGERPRINT_FILE).write_text(fingerprint + "\n")

    def is_unchanged(self, assignment, student):
        stored = self.autograded / student / assignment / FINGERPRINT_FILE
        return stored.exists() and stored.read_text().strip() == submission_fingerprint(
            self.submitted / student / assignment)

    def _require(self, result, step):
        if not result.get("success"):
            log = (result.get("log", "") + result.get("error", "")).strip().splitlines()
            raise GradingStepFailed(f"nbgrader failed while {step}: " + (" / ".join(log[-3:]) or "no message"))


class GradingStepFailed(GradingError):
    """An nbgrader step of one student's grading failed (that student only)."""


def _is_execute(step):
    from nbgrader.preprocessors import Execute

    return isinstance(step, type) and issubclass(step, Execute)


# -- the reference's time: the budget of a notebook ---------------------------

def time_budgets(root, config, assignments):
    """{(assignment, notebook file): seconds}: BUDGET_FACTOR x the solution's own run, with a floor.

    Running each solution notebook once also proves the course runs at all
    before any student is graded (a broken reference would fail everyone).
    """
    budgets = {}
    for assignment in assignments:
        for path in sorted((Path(root) / "solutions" / assignment).glob("*.ipynb")):
            start = time.perf_counter()
            executed = nbformat.reads(execute_notebook(path.read_text(), config), as_version=4)
            seconds = time.perf_counter() - start
            failed = [index for index, cell in enumerate(executed.cells)
                      if any(output.get("output_type") == "error" for output in cell.get("outputs", []))]
            if failed:
                raise GradingStepFailed(
                    f"the reference solutions/{assignment}/{path.name} fails in cell {failed[0]}: "
                    "fix it before grading (every student would lose those points)")
            budgets[assignment, path.name] = max(BUDGET_FLOOR_SECONDS, BUDGET_FACTOR * seconds)
    return budgets


# -- the class ----------------------------------------------------------------

def grade_class(root, assignments=None, students=None, workers=None, scheduler=None, force=False,
                config=None, progress=None):
    """Autograde every submission of `assignments` (default: all) in submitted/, in parallel.

    `workers` local workers (default: one per core), or the Dask cluster at
    `scheduler` (or $MLKIT_GRADING_SCHEDULER). Unchanged submissions that were
    graded before are skipped unless `force`. Returns a ClassReport; the
    instructor's process alone writes the gradebook and autograded/.
    """
    root = Path(root).resolve()
    config = config if config is not None else instructor.load_config(root)
    assignments = assignments or instructor.assignments(root)
    submissions = [(a, s) for a in assignments for s in students or instructor.submitted_students(root, a)]
    report = ClassReport()
    if not submissions:
        return report
    started = time.monotonic()
    instructor.check_kernel_can_import()
    with tempfile.TemporaryDirectory(prefix="mlkit-gradebook-release-") as scratch:
        # Record every assignment, so that grades list a missing submission as 0.
        instructor.release(root, assignments, into=scratch, config=config, throwaway_gradebook=False)
    gradebook = Gradebook(root, config)
    todo = []
    for assignment, student in submissions:
        if not force and gradebook.is_unchanged(assignment, student):
            report.results.append(StudentResult(assignment, student, status="unchanged"))
        else:
            todo.append((assignment, student))
    budgets = time_budgets(root, config, sorted({a for a, _ in todo}))
    progress = progress or Progress(len(todo))
    pool = workers_for(workers, scheduler)
    running = {}  # future -> (assignment, student, notebook name)
    executed = {}  # (assignment, student) -> {notebook name: JSON}
    expected = {}  # (assignment, student) -> number of notebooks still running
    clock = {}
    queue = list(todo)

    def finish(result):
        result.seconds = time.monotonic() - clock.pop((result.assignment, result.student), time.monotonic())
        report.results.append(result)
        progress.update(result)

    try:
        while queue or running:
            # Keep every worker busy, and no more than that queued: preparing is cheap but not free.
            while queue and len(running) < 2 * pool.workers:
                assignment, student = queue.pop(0)
                clock[assignment, student] = time.monotonic()
                try:
                    prepared = gradebook.prepared_notebooks(assignment, student)
                except GradingStepFailed as error:
                    finish(StudentResult(assignment, student, status="problem", problem=str(error)))
                    continue
                if not prepared:
                    finish(StudentResult(assignment, student, status="problem",
                                         problem="no notebook of this assignment was handed in"))
                    continue
                executed[assignment, student] = {}
                expected[assignment, student] = len(prepared)
                for name, text in prepared.items():
                    future = pool.submit(execute_notebook, text, config, budgets.get((assignment, name)))
                    running[future] = (assignment, student, name)
            if not running:
                continue
            for future in pool.wait_first(running):
                assignment, student, name = running.pop(future)
                key = (assignment, student)
                try:
                    executed[key][name] = future.result()
                except Exception as error:  # the worker (not the student's kernel) failed, e.g. KilledWorker
                    expected.pop(key, None)
                    executed.pop(key, None)
                    finish(StudentResult(assignment, student, status="problem",
                                         problem=f"the worker running {name} failed: {type(error).__name__}: {error}"))
                    continue
                if key not in expected:
                    continue  # another notebook of this student already failed
                expected[key] -= 1
                if expected[key] == 0:
                    del expected[key]
                    try:
                        gradebook.record(assignment, student, executed.pop(key))
                        finish(StudentResult(assignment, student))
                    except GradingStepFailed as error:
                        finish(StudentResult(assignment, student, status="problem", problem=str(error)))
    except KeyboardInterrupt:
        # Everyone finished so far is recorded; the kernels still running are stopped.
        report.interrupted = True
        pool.close(cancel=True)
    else:
        pool.close()
    finally:
        report.seconds = time.monotonic() - started
        progress.close()
    return report


class Progress:
    """One line of progress on stderr: done / total, problems so far, time left."""

    def __init__(self, total, stream=None):
        self.total, self.done, self.problems = total, 0, 0
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.last_line = 0.0

    def update(self, result):
        self.done += 1
        self.problems += result.status == "problem"
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done)
        bar = "#" * round(20 * self.done / self.total)
        line = (f"grading [{bar:<20}] {self.done}/{self.total} students, {self.problems} problems, "
                f"about {left:.0f} s left")
        if self.interactive:
            print("\r" + line, end="", file=self.stream, flush=True)
        elif self.done == self.total or time.monotonic() - self.last_line > 10:
            print(line, file=self.stream, flush=True)
            self.last_line = time.monotonic()

    def close(self):
        if self.interactive and self.done:
            print(file=self.stream)

