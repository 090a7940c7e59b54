"""Grading a whole class: many submissions at once, one gradebook writer, progress shown.

One student's notebook is graded in three steps, and only the middle one runs
student code:

1. prepare (the instructor's process): nbgrader's sanitizing step copies the
   submission into autograded/, clears its outputs, restores the read-only
   cells from the gradebook, and records the submission;
2. execute (a worker): the prepared notebook runs top to bottom in a fresh
   kernel (`ResilientExecute`, with the course's limits and a time budget),
   in a scratch folder; the notebook travels there and back as JSON text,
   with the list of files handed in beside it (the sandbox leaves them out
   and says so in the notebook);
3. score (the instructor's process): nbgrader's other autograde steps on the
   executed notebook: output limits, the scores into the gradebook, late
   penalties.

Steps 1 and 3 touch the gradebook and run only here, one at a time, so the
gradebook has a single writer. Step 2 runs on a pool of local workers (one
per core by default) or on the workers of a Dask cluster:

`instructor.autograde` (and `python -m mlkit.grading autograde`) calls it
after the checks that come before grading (the kernel imports mlkit, the
sandbox is there, the assignments are recorded):

    report = grade_class(".", [("01_the_layer", "ada"), ("01_the_layer", "bob")], workers=4)
    report = grade_class(".", submissions, scheduler="tcp://10.0.0.5:8786")
    report.outcomes      # one grading_summary.Outcome per submission

A finished student is recorded at once, so an interrupted run (Ctrl-C) keeps
them; the notebooks running then are killed at once (their kernels, sandbox
and all) and recorded nowhere; the next run with `force=False` grades only what is missing or was
resubmitted (a fingerprint of each graded submission, of its reference
notebook and of the course's settings is kept beside its outcome, in
.nbgrader/outcomes/).
"""

import collections
import concurrent.futures
import contextlib
import functools
import hashlib
import io
import logging
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mlkit.grading import held_out, instructor, integrity, resilient_execute, spare_kernels
from mlkit.grading.grading_summary import Outcome, with_problems
from mlkit.grading.instructor import GradingError

# The time budget of one notebook: this many times the reference solution's
# own execution time, and never less than the floor (kernel start included).
BUDGET_FACTOR = 3.0
BUDGET_FLOOR_SECONDS = 20.0


@dataclass
class ClassReport:
    """The outcome of every submission graded (or found unchanged), and whether Ctrl-C cut the run."""

    outcomes: list = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    # Where the time went, summed over the submissions: {step: seconds} (prepare, execute's
    # parts, score), for benchmarks/class_grading.py --breakdown.
    step_seconds: collections.Counter = field(default_factory=collections.Counter)


# -- step 2: runs on a worker ------------------------------------------------

def execute_notebook(notebook_json, config, time_budget=None, source_json=None, nbgrader=None,
                     start_ahead=False):
    """Run one prepared notebook in a fresh kernel in a scratch folder; return it executed, as
    JSON, the execute step's log of this notebook (text), and {step: seconds} (where its time went).

    The execute step is the course's own (nbgrader_config.py: the sandboxed,
    judged `SandboxedExecute`), with its settings from `config`; the
    instructor's notebook (`source_json`, from solutions/) travels along for
    the judge, so a Dask worker needs no copy of the course. Runs on a local
    worker thread or on a Dask worker; touches no file of the course. With
    `start_ahead`, the kernel of this thread's next notebook starts while this
    one runs (`spare_kernels`: local workers, whose spares `grade_class` stops).
    """
    book = nbformat.reads(notebook_json, as_version=4)
    resources = {"nbgrader": dict(nbgrader or {})}
    if source_json is not None:
        resources["nbgrader"]["source_notebook"] = nbformat.reads(source_json, as_version=4)
    # A logger of its own: notebooks run on several threads, each log belongs to one submission.
    log = logging.getLogger(f"mlkit.grading.execute.{uuid.uuid4().hex}")
    log.propagate, log.level = False, logging.INFO
    written = io.StringIO()
    log.addHandler(logging.StreamHandler(written))
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="mlkit-grading-") as scratch:
            nbformat.write(book, os.path.join(scratch, f"{resources['nbgrader'].get('notebook', 'notebook')}.ipynb"))
            executor = execute_step(config)(config=config, log=log)
            if time_budget is not None:
                executor.time_budget = time_budget
            if start_ahead and executor.has_trait("start_ahead"):
                executor.start_ahead = True
            executor.preprocess(book, {**resources, "metadata": {"path": scratch}})
    finally:
        log.handlers.clear()
        logging.Logger.manager.loggerDict.pop(log.name, None)
    seconds = dict(getattr(executor, "seconds", {}))
    seconds["execute (all)"] = time.perf_counter() - started
    return nbformat.writes(book), written.getvalue(), seconds


def execute_step(config):
    """The class of the course's execute step (the first Execute in its autograde steps)."""
    from mlkit.grading.resilient_execute import ResilientExecute

    steps = [step for step in config.Autograde.get("autograde_preprocessors", []) if _is_execute(step)]
    return steps[0] if steps else ResilientExecute


# -- where step 2 runs ---------------------------------------------------------

class LocalWorkers:
    """Step 2 on this machine: each worker thread drives one kernel process, and starts the
    kernel of its next notebook ahead of need."""

    starts_ahead = True

    def __init__(self, workers):
        self.workers = workers
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading")

    def submit(self, function, *args):
        return self.pool.submit(function, *args)

    def wait_first(self, futures):
        done, _ = concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
        return done

    def close(self, cancel=False):
        """Wait for the notebooks running; with `cancel`, kill them (and drop those not started)."""
        if cancel:
            resilient_execute.stop_every_notebook()
        try:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
        finally:
            spare_kernels.stop_all()
            resilient_execute.resume()


class DaskWorkers:
    """Step 2 on the workers of a running Dask cluster (`dask scheduler` + `dask worker`).

    A worker that dies takes its tasks with it; the scheduler runs them again
    on another worker. Only this process writes the gradebook, once per task.
    """

    starts_ahead = False  # a spare kernel would outlive the task on the worker

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
        # Cancelled tasks are dropped; a notebook already running on a worker runs to its end there.
        self.client.close()


def workers_for(workers=None, scheduler=None):
    scheduler = scheduler or os.environ.get("MLKIT_GRADING_SCHEDULER")
    if scheduler:
        return DaskWorkers(scheduler)
    return LocalWorkers(workers or os.cpu_count() or 1)


# -- steps 1 and 3: the instructor's process --------------------------------

def submission_fingerprint(*folders_and_files):
    """A hash of the files given and of every file in the folders given (checkpoints aside)."""
    digest = hashlib.sha256()
    for place in map(Path, folders_and_files):
        paths = sorted(place.rglob("*")) if place.is_dir() else [place]
        for path in paths:
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class GradebookSteps:
    """The nbgrader steps that read and write the gradebook (prepare, score), for one course."""

    def __init__(self, root, config):
        self.root = Path(root)
        self.config = config
        self.api = instructor.api_for(root, config)
        self.logs = {}  # (assignment, student) -> nbgrader's log of its steps so far
        self.submitted = self.root / self.api.coursedir.submitted_directory
        self.autograded = self.root / self.api.coursedir.autograded_directory
        self.held_out = held_out.private(root)  # the private held-out digits: read and checked once, up front
        steps = list(config.Autograde.get("autograde_preprocessors", []))
        if not steps:
            from nbgrader.converters import Autograde

            steps = list(Autograde.autograde_preprocessors.default_value)
        self.executes = [step for step in steps if _is_execute(step)]
        self.after_execute = [step for step in steps if not _is_execute(step)]

    def prepared_notebooks(self, assignment, student):
        """Step 1: sanitize the submission into autograded/; {notebook file name: JSON text}."""
        self.fingerprint_path(assignment, student).unlink(missing_ok=True)  # graded anew from here on
        api = instructor.api_for(self.root, self.config, Autograde__autograde_preprocessors=[])
        self._require(self._logged(assignment, student, _autograde(api, assignment, student)), "preparing")
        folder = self.autograded / student / assignment
        return {path.name: path.read_text() for path in sorted(folder.glob("*.ipynb"))}

    def record(self, assignment, student, executed):
        """Step 3: score the executed notebooks into the gradebook and autograded/."""
        with tempfile.TemporaryDirectory(prefix="mlkit-executed-") as scratch:
            folder = Path(scratch) / student / assignment
            folder.mkdir(parents=True)
            for name, text in executed.items():
                (folder / name).write_text(text)
            # The files handed in go to autograded/ as plain nbgrader puts them there: its timestamp
            # and the exchange's submission_secret.txt (which feedback needs) among them. They are
            # only copied, never run: the sandbox saw the notebook alone.
            submitted = self.submitted / student / assignment
            for relative in self.handed_in(assignment, student):
                source = submitted / relative
                if source.is_file() and not any(part.is_symlink() for part in [source, *source.parents]
                                                 if part.is_relative_to(submitted)):
                    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                    (folder / relative).write_bytes(source.read_bytes())
            api = instructor.api_for(
                self.root, self.config, CourseDirectory__submitted_directory=scratch,
                Autograde__sanitize_preprocessors=[], Autograde__autograde_preprocessors=self.after_execute,
            )
            self._require(self._logged(assignment, student, _autograde(api, assignment, student)), "scoring")

    def remember(self, assignment, student):
        """The submission's fingerprint, written last (after its scores and its outcome): a run
        stopped before it grades the submission again next time."""
        stored = self.fingerprint_path(assignment, student)
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_text(self.fingerprint(assignment, student) + "\n")

    def handed_in(self, assignment, student):
        """The files handed in beside the notebooks (relative paths): they travel with each
        notebook as a list, for the execute step to note those it leaves out."""
        return integrity.files_handed_in(self.submitted / student / assignment)

    def fingerprint(self, assignment, student):
        """What a grade depends on: the submission, the reference notebook, the course's settings."""
        return submission_fingerprint(self.submitted / student / assignment,
                                      self.root / "solutions" / assignment, self.root / instructor.CONFIG_FILE)

    def fingerprint_path(self, assignment, student):
        """Kept beside the submission's outcome, out of autograded/ (whose files feedback copies)."""
        return instructor.outcome_path(self.api.coursedir, assignment, student).with_suffix(".fingerprint")

    def is_unchanged(self, assignment, student):
        stored = self.fingerprint_path(assignment, student)
        return (stored.exists() and (self.autograded / student / assignment).is_dir()
                and stored.read_text().strip() == self.fingerprint(assignment, student))

    def _logged(self, assignment, student, result):
        """Keep nbgrader's log of each step of a submission, for its Outcome."""
        if not isinstance(result, Exception):
            self.logs[assignment, student] = self.logs.get((assignment, student), "") + \
                result.get("log", "") + result.get("error", "")
        return result

    def outcome(self, assignment, student, failure=None):
        """The submission's Outcome, saved; `failure` is why a step of its grading failed, if one did."""
        log = self.logs.pop((assignment, student), "")
        outcome = instructor.outcome_of(self.api.coursedir, assignment, student, log)
        if failure is not None and not outcome.problems:
            outcome.problems.append(failure)
        instructor.save_outcome(self.api.coursedir, outcome)
        return outcome

    def _require(self, result, step):
        if isinstance(result, Exception):
            raise GradingStepFailed(f"nbgrader failed while {step}: {type(result).__name__}: {result}")
        if not result.get("success"):
            log = (result.get("log", "") + result.get("error", "")).strip().splitlines()
            raise GradingStepFailed(f"nbgrader failed while {step}: " + (" / ".join(log[-3:]) or "no message"))


def _autograde(api, assignment, student):
    """nbgrader's autograde of one submission: its result, or the exception it raised."""
    # nbgrader sets NBGRADER_EXECUTION for its run and does not restore it when the run raises.
    with _environment(NBGRADER_EXECUTION="autograde"):
        try:
            return api.autograde(assignment, student, force=True, create=True)
        except Exception as error:  # nbgrader's own failure: this student only
            return error


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
    The times are kept in .nbgrader/reference_seconds.json, by the hash of
    each reference notebook, so a course pays for each reference once.
    """
    import json

    cache_path = Path(root) / ".nbgrader" / "reference_seconds.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    budgets = {}
    for assignment in assignments:
        for path in sorted((Path(root) / "solutions" / assignment).glob("*.ipynb")):
            key = hashlib.sha256(path.read_bytes() + execute_step(config).__name__.encode()).hexdigest()
            if key not in cache:
                cache[key] = reference_seconds(path, config, assignment)
            budgets[assignment, path.name] = max(BUDGET_FLOOR_SECONDS, BUDGET_FACTOR * cache[key])
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache_path.write_text(json.dumps(cache, indent=1))
    return budgets


def reference_seconds(path, config, assignment):
    """How long the reference notebook takes to run; it must run without an error."""
    start = time.perf_counter()
    executed = nbformat.reads(execute_notebook(path.read_text(), config)[0], as_version=4)
    seconds = time.perf_counter() - start
    failed = [index for index, cell in enumerate(executed.cells)
              if any(output.get("output_type") == "error" for output in cell.get("outputs", []))]
    if failed:
        raise GradingStepFailed(
            f"the reference solutions/{assignment}/{path.name} fails in cell {failed[0]}: "
            "fix it before grading (every student would lose those points)")
    return seconds


# -- the class ----------------------------------------------------------------

def grade_class(root, submissions, config, workers=None, scheduler=None, force=True, show_progress=True,
                progress=None):
    """Grade `submissions` ([(assignment, student)]) at once; a ClassReport of their Outcomes.

    `workers` local workers (default: one per core), or the Dask cluster at
    `scheduler` (or $MLKIT_GRADING_SCHEDULER). Unless `force`, a submission
    graded before and unchanged since is skipped. This process alone writes
    the gradebook and autograded/; a student whose grading fails is an
    Outcome with problems, never a stop.
    """
    root = Path(root).resolve()
    report = ClassReport()
    started = time.monotonic()
    steps = GradebookSteps(root, config)
    todo = []
    for assignment, student in submissions:
        if not force and steps.is_unchanged(assignment, student):
            report.outcomes.append(Outcome(assignment, student, unchanged=True))
        else:
            todo.append((assignment, student))
    if not todo:
        return report
    with _environment(NBGRADER_EXECUTION="autograde"), one_database_engine():
        _grade(report, root, todo, steps, config, workers, scheduler, show_progress, progress)
    report.seconds = time.monotonic() - started
    return report


def _grade(report, root, todo, steps, config, workers, scheduler, show_progress, progress):
    budgets = time_budgets(root, config, sorted({assignment for assignment, _ in todo}))
    sources = {(assignment, path.name): path.read_text() for assignment, _ in todo
               for path in (root / "solutions" / assignment).glob("*.ipynb")}
    progress = progress or Progress(len(todo), quiet=not show_progress)
    pool = workers_for(workers, scheduler)
    running = {}   # future -> (assignment, student, notebook file name)
    executed = {}  # (assignment, student) -> {notebook file name: JSON}, while its notebooks run
    waiting = {}   # (assignment, student) -> how many of its notebooks still run
    queue = list(todo)

    def finish(outcome):
        report.outcomes.append(outcome)
        progress.update(outcome)

    try:
        while queue or running:
            # Keep every worker busy and a few notebooks ready: preparing is quick, not free.
            while queue and len(running) < 2 * pool.workers:
                assignment, student = queue.pop(0)
                clock = time.perf_counter()
                try:
                    prepared = steps.prepared_notebooks(assignment, student)
                except GradingStepFailed as error:
                    finish(steps.outcome(assignment, student, failure=str(error)))
                    continue
                finally:
                    report.step_seconds["prepare (nbgrader)"] += time.perf_counter() - clock
                if not prepared:
                    finish(steps.outcome(assignment, student))
                    continue
                executed[assignment, student], waiting[assignment, student] = {}, len(prepared)
                handed_in = steps.handed_in(assignment, student)
                for name, text in prepared.items():
                    info = {"assignment": assignment, "student": student, "notebook": Path(name).stem,
                            "handed_in": handed_in, "held_out": steps.held_out}
                    future = pool.submit(execute_notebook, text, config, budgets.get((assignment, name)),
                                         sources.get((assignment, name)), info, pool.starts_ahead)
                    running[future] = (assignment, student, name)
            if not running:
                continue
            for future in pool.wait_first(running):
                assignment, student, name = running.pop(future)
                key = (assignment, student)
                if key not in waiting:
                    continue  # another notebook of this student failed already
                try:
                    executed[key][name], execute_log, seconds = future.result()
                    steps.logs[key] = steps.logs.get(key, "") + execute_log
                    report.step_seconds.update(seconds)
                except Exception as error:  # the worker failed (not the student's kernel): e.g. KilledWorker
                    del waiting[key], executed[key]
                    finish(steps.outcome(assignment, student, failure=(
                        f"{name} could not be run: the worker running it failed ({type(error).__name__}: {error})")))
                    continue
                waiting[key] -= 1
                if waiting[key] == 0:
                    del waiting[key]
                    clock = time.perf_counter()
                    try:
                        steps.record(assignment, student, executed.pop(key))
                    except GradingStepFailed as error:
                        finish(steps.outcome(assignment, student, failure=str(error)))
                    else:
                        finish(steps.outcome(assignment, student))
                        steps.remember(assignment, student)
                    finally:
                        report.step_seconds["score (nbgrader)"] += time.perf_counter() - clock
    except KeyboardInterrupt:
        # Everyone finished so far is recorded; the notebooks still running are killed and dropped
        # (their students have no fingerprint: the next run grades them).
        report.interrupted = True
        pool.close(cancel=True)
    else:
        pool.close()
    finally:
        progress.close()


@contextlib.contextmanager
def one_database_engine():
    """While a class is graded, every gradebook nbgrader opens shares one database engine.

    nbgrader opens the gradebook a dozen times per student (each step that
    reads or writes it), and each time makes a new SQLAlchemy engine, whose
    cache of compiled queries starts empty: compiling the same queries again
    was about a third of nbgrader's own time per student. One engine per
    database, for the run, keeps them compiled.
    """
    import nbgrader.api

    original = nbgrader.api.create_engine
    nbgrader.api.create_engine = functools.cache(original)
    try:
        yield
    finally:
        nbgrader.api.create_engine = original


@contextlib.contextmanager
def _environment(**variables):
    """Set environment variables (inherited by the kernels started meanwhile), then restore them."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Progress:
    """One line of progress on stderr: done / total, problems so far, time left."""

    def __init__(self, total, stream=None, quiet=False):
        self.total, self.outcomes, self.quiet = total, [], quiet
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.last_line = 0.0

    def update(self, outcome):
        self.outcomes.append(outcome)
        if self.quiet:
            return
        done, problems = len(self.outcomes), len(with_problems(self.outcomes))
        elapsed = time.monotonic() - self.start
        left = elapsed / done * (self.total - done)
        bar = "#" * round(20 * done / self.total)
        line = (f"grading [{bar:<20}] {done}/{self.total} students, {problems} problems, "
                f"about {left:.0f} s left")
        if self.interactive:
            print("\r" + line, end="", file=self.stream, flush=True)
        elif done == self.total or time.monotonic() - self.last_line > 10:
            print(line, file=self.stream, flush=True)
            self.last_line = time.monotonic()

    def close(self):
        if self.interactive and self.outcomes and not self.quiet:
            print(file=self.stream)

