"""The instructor's side: release the course, autograde, feedback, grades.

Thin functions over nbgrader's Python API (`NbGraderAPI`), run from the
course root (the folder with nbgrader_config.py). `python -m mlkit.grading`
and the Makefile targets call them; docs/instructor_guide.md lists the
plain nbgrader commands they stand for.

    from mlkit.grading import instructor
    instructor.release(".")          # solutions/ -> course/
    instructor.autograde(".")        # submitted/ -> autograded/ and the gradebook
    instructor.feedback(".")         # autograded/ -> feedback/ (HTML)
    instructor.export_grades(".")    # gradebook -> grades.csv, grades_by_test.csv

Importing this module imports nbgrader (a few seconds); notebooks never do.
"""

import copy
import csv
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import nbgrader.api
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins.export import CsvExportPlugin
from nbgrader.utils import is_grade, is_solution
from traitlets.config.loader import PyFileConfigLoader

from mlkit.grading import held_out, integrity, sandbox
from mlkit.grading.by_products import BY_PRODUCTS, is_by_product  # noqa: F401 (used by tests too)
from mlkit.grading.grading_steps import repairs_of
from mlkit.grading.grading_summary import Outcome, summary
from mlkit.grading.scoring import score_test_cell

CONFIG_FILE = "nbgrader_config.py"

# nbgrader runs the `alembic` command by name, which fails unless this
# environment's bin/ is on PATH (a venv used without activating it): add it.
_BIN = os.path.dirname(sys.executable)
if shutil.which("alembic") is None and os.path.exists(os.path.join(_BIN, "alembic")):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

# nbgrader runs the `alembic` command (≈3 s) each time it creates a gradebook,
# to learn the schema revision of the installed nbgrader, which cannot change
# while this process runs: ask once. (Throwaway gradebooks make this common.)
if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
    nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class GradingError(RuntimeError):
    """An nbgrader step failed; the message holds nbgrader's log."""


# -- configuration -----------------------------------------------------------

def load_config(root, **overrides):
    """The course's nbgrader configuration, read from `root`/nbgrader_config.py.

    `overrides` are `Class__trait=value` pairs, e.g. `Execute__timeout=5`.
    """
    root = Path(root).resolve()
    if not (root / CONFIG_FILE).exists():
        raise GradingError(f"{root} has no {CONFIG_FILE}: run this from the course's root folder.")
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return with_overrides(config, **overrides)


def with_overrides(config, **overrides):
    """A copy of `config` with `Section__trait=value` overrides (the original is untouched)."""
    changed = copy.deepcopy(config)
    for key, value in overrides.items():
        section, trait = key.split("__")
        changed[section][trait] = value
    return changed


def api_for(root, config=None, **overrides):
    config = with_overrides(config, **overrides) if config is not None else load_config(root, **overrides)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def assignments(root):
    """The assignments: the folders of solutions/ that hold notebooks, in order."""
    source = Path(root) / "solutions"
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and not is_by_product(Path(p.name)) and any(p.glob("*.ipynb")))


def _check(result, what):
    if not result.get("success"):
        raise GradingError(f"{what} failed.\n{result.get('log', '')}\n{result.get('error', '')}".strip())
    return result


# -- release ----------------------------------------------------------------

def release(root, names=None, into=None, config=None, throwaway_gradebook=True):
    """Generate the student notebooks of `names` (default: all) from solutions/.

    Into course/ (or the folder `into`), against a throwaway gradebook, so
    that regenerating never conflicts with the grades of a running class
    (with `throwaway_gradebook=False`, the course's gradebook records them).
    """
    names = names or assignments(root)
    config = config if config is not None else load_config(root)
    with tempfile.TemporaryDirectory(prefix="mlkit-release-") as scratch:
        overrides = {}
        if throwaway_gradebook:
            overrides["CourseDirectory__db_url"] = "sqlite:///" + os.path.join(scratch, "gradebook.db")
        if into is not None:
            overrides["CourseDirectory__release_directory"] = str(Path(into).resolve())
        api = api_for(root, with_overrides(config, **overrides))
        for name in names:
            _check(api.generate_assignment(name, force=True), f"generate_assignment {name}")
    return names


def release_differences(root, names=None):
    """How the committed course/ differs from a fresh release: [] when up to date."""
    root = Path(root)
    names = names or assignments(root)
    with tempfile.TemporaryDirectory(prefix="mlkit-fresh-release-") as fresh:
        release(root, names, into=fresh)
        problems = []
        for name in names:
            problems += release_folder_differences(root / "course" / name, Path(fresh) / name, f"course/{name}")
        course = root / "course"
        for folder in sorted(course.iterdir()) if course.exists() else []:
            stray = not (root / "solutions" / folder.name).exists()
            if folder.is_dir() and stray and not is_by_product(Path(folder.name)):
                problems.append(f"course/{folder.name} has no source in solutions/")
    return problems


# What opening and running the course leaves beside the notebooks (Jupyter's
# checkpoints, the language server's shadow copies, the collaboration store,
# Python's caches, Finder's folder settings): never part of a release.
def release_folder_differences(committed, fresh, label):
    """How the release folder `committed` differs from the freshly generated `fresh`.

    By-products of using the course (checkpoints, caches...) are left out on both sides.
    """
    committed, fresh = Path(committed), Path(fresh)
    if not committed.exists():
        return [f"{label} is missing"]
    problems = []
    committed_files, fresh_files = ({path.relative_to(folder) for path in folder.rglob("*")
                                     if path.is_file() and not is_by_product(path.relative_to(folder))}
                                    for folder in (committed, fresh))
    for path in sorted(fresh_files - committed_files):
        problems.append(f"{label}/{path} is missing")
    for path in sorted(committed_files - fresh_files):
        problems.append(f"{label}/{path} is not produced by the release (left over?)")
    for path in sorted(committed_files & fresh_files):
        if path.suffix == ".ipynb":
            problems += _notebook_differences(committed / path, fresh / path, f"{label}/{path}")
        elif (committed / path).read_bytes() != (fresh / path).read_bytes():
            problems.append(f"{label}/{path} differs from solutions/")
    return problems


def _notebook_differences(committed_path, fresh_path, label):
    committed = nbformat.read(committed_path, as_version=4)
    fresh = nbformat.read(fresh_path, as_version=4)
    if len(committed.cells) != len(fresh.cells):
        return [f"{label}: {len(committed.cells)} cells, a fresh release has {len(fresh.cells)}"]
    problems = []
    for index, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
        if (old.cell_type, old.source) != (new.cell_type, new.source):
            problems.append(f"{label}: cell {index} differs from a fresh release")
        elif old.metadata.get("nbgrader") != new.metadata.get("nbgrader"):
            problems.append(f"{label}: the nbgrader metadata of cell {index} differs")
    if committed.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append(f"{label}: the kernel must be python3")
    return problems


# -- grading ----------------------------------------------------------------

def kernel_python_command(kernel_name="python3"):
    """The interpreter command (argv before '-m ipykernel...') of a kernel spec."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv = list(KernelSpecManager().get_kernel_spec(kernel_name).argv)
    # As jupyter_client does when it starts the kernel: a bare `python` is this interpreter.
    if argv and argv[0] in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        argv[0] = sys.executable
    end = argv.index("-m") if "-m" in argv else 1
    return argv[:end]


def check_kernel_can_import(module="mlkit", command=None):
    """Fail loudly if the notebooks' kernel cannot import `module`.

    Without it every student would silently score 0 (each notebook starts
    with `import mlkit`), and nbgrader would report no error.
    """
    command = command or kernel_python_command()
    result = subprocess.run(command + ["-c", f"import {module}"], capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise GradingError(
            f"The notebooks' kernel ({' '.join(command)}) cannot import {module}: {last}\n"
            f"Install the course into the environment the kernel runs in (pip install -e .), "
            "then grade again: otherwise every student scores 0."
        )


def submitted_students(root, name):
    submitted = Path(root) / "submitted"
    if not submitted.exists():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / name).is_dir())


def autograde(root, names=None, students=None, config=None, log=print, record=True, unsafe=False,
              workers=None, scheduler=None, force=True):
    """Autograde every submission of `names` (default: all) in submitted/.

    Each notebook runs in a bubblewrap sandbox (mlkit.grading.sandbox);
    without bubblewrap this refuses, unless `unsafe=True` (run unconfined).
    Many submissions are graded at once (mlkit.grading.class_grading):
    `workers` notebooks at a time on this machine (default: one per core),
    or on the workers of the Dask cluster at `scheduler`; this process alone
    writes the gradebook. With `force=False`, a submission graded before and
    unchanged since is not graded again.

    Records the assignments in the gradebook first (from solutions/, with
    a scratch release folder; `record=False` skips it when a release with
    `throwaway_gradebook=False` just did), checks the kernel can import
    mlkit, then grades: a failing submission never stops the others. `log`
    gets the summary (`grading_summary`); the gradebook's integrity is
    checked at the end. Returns {(assignment, student): Outcome}. Ctrl-C
    keeps every submission graded so far, then raises KeyboardInterrupt.
    """
    from mlkit.grading import class_grading

    names = names or assignments(root)
    submissions = [(name, student) for name in names for student in students or submitted_students(root, name)]
    if not submissions:
        return {}
    check_kernel_can_import()
    if not unsafe and (problem := sandbox.unavailable_reason()) is not None:
        raise GradingError(problem)
    config = config if config is not None else load_config(root)
    if unsafe:
        config = with_overrides(config, SandboxedExecute__sandboxed=False)
    _announce_held_out_digits(root, unsafe, log)
    api = api_for(root, config)
    if record:
        with tempfile.TemporaryDirectory(prefix="mlkit-gradebook-release-") as scratch:
            # Every assignment, so that grades list a missing submission as 0.
            release(root, names, into=scratch, config=api.config, throwaway_gradebook=False)
    gradebook = api.coursedir.db_url.removeprefix("sqlite:///")
    before = integrity.gradebook_snapshot(gradebook)
    report = class_grading.grade_class(root, submissions, config=api.config, workers=workers,
                                       scheduler=scheduler, force=force, show_progress=log is not None)
    outcomes = {(outcome.assignment, outcome.student): outcome for outcome in report.outcomes}
    if log:
        log(f"{len(report.outcomes)} submissions handled in {report.seconds:.0f} s")
        log(summary("autograde", report.outcomes))
        if report.interrupted:
            log("interrupted: the submissions above are recorded; run again to grade the rest")
    check_gradebook_integrity(gradebook, before, submissions, root, names)
    if report.interrupted:
        raise KeyboardInterrupt
    return outcomes


def _announce_held_out_digits(root, unsafe, log):
    """Say which digits judge the capstone's classifier; refuse a private file that cannot be used."""
    private = _private_digits(root)
    if private is not None and log:
        log(f"The capstone's classifier is judged on the {len(private.labels)} private held-out digits of "
            f"{held_out.PRIVATE_FILE}" + (" only in the sandbox: with --unsafe, on the public test digits."
                                          if unsafe else "."))


def check_held_out(root, log=print):
    """Grade the instructor's own solutions on the course's private held-out digits, in this process
    (they are trusted): an honest model must pass there before a class is graded on them. Returns
    {(notebook path, test cell id): the failure} of the cells that fail ({}: every cell passes)."""
    from mlkit.grading.authoring import failures, grade_in_process

    digits = _private_digits(root)
    if digits is None:
        raise GradingError(f"This course has no private held-out digits ({held_out.PRIVATE_FILE} is missing): "
                           "its classifiers are judged on the public test digits, which the notebooks check already.")
    failed = {}
    for path in sorted(Path(root, "solutions").glob("*/*.ipynb")):
        if not any(name in path.read_text() for name in held_out.CHECKS_NEEDING_LABELS):
            continue
        with held_out.judged_with(digits):
            results = failures(grade_in_process(path))
        failed.update({(str(path.relative_to(root)), grade_id): message for grade_id, message in results.items()})
        log(f"{path.relative_to(root)}: " + (f"{len(results)} test cells fail on the {len(digits.labels)} "
                                              "private digits" if results else
                                              f"every test cell passes on the {len(digits.labels)} private digits"))
    return failed


def _private_digits(root):
    """The course's private held-out digits (or None); a file that cannot be used is a GradingError."""
    try:
        return held_out.private(root)
    except ValueError as error:
        raise GradingError(str(error)) from None


def check_gradebook_integrity(gradebook, before, submissions, root, names):
    """Raise when the gradebook holds what grading never writes (foreign tables, triggers,
    students) or test cells that differ from solutions/."""
    problems = integrity.gradebook_problems(gradebook, before, {student for _, student in submissions}, root, names)
    if problems:
        raise GradingError("The gradebook failed its integrity check after grading:\n"
                           + "\n".join(f"  {problem}" for problem in problems))


def outcome_of(coursedir, assignment, student, log=""):
    """What became of a submission once graded: repairs, sandbox incidents, notebooks missing
    or not graded (read from submitted/ and autograded/; `log` is nbgrader's)."""
    outcome = Outcome(assignment, student, log=log)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    graded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    outcome.incidents = integrity.incidents_of_submission(graded)
    for notebook in notebooks_of(coursedir, assignment):
        if not (submitted / notebook).exists():
            outcome.problems.append(f"{notebook} is not in the submission (scored 0)")
        elif (graded / notebook).exists():
            outcome.repairs += [f"{notebook}: {note}" for note in repairs_of(nbformat.read(graded / notebook, as_version=4))]
        else:
            outcome.problems.append(f"{notebook} could not be graded: {last_error(log)}")
    return outcome


def notebooks_of(coursedir, assignment):
    """The file names of an assignment's notebooks, as the gradebook records them."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        return [f"{notebook.name}.ipynb" for notebook in gradebook.find_assignment(assignment).notebooks]


def last_error(log):
    """The line of nbgrader's log that says what failed."""
    lines = [_ANSI.sub("", line).strip() for line in log.splitlines() if line.strip()]
    # The exception nbgrader caught, not the NbGraderException it raises to say so.
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)
              and "NbGraderException" not in line]
    return (errors or lines or ["no message"])[-1][:300]


def outcome_path(coursedir, assignment, student):
    """Where the outcome of a submission's last autograde is kept (beside the gradebook's folder)."""
    return Path(coursedir.root) / ".nbgrader" / "outcomes" / assignment / f"{student}.json"


def save_outcome(coursedir, outcome):
    """The outcome as JSON, and nbgrader's log of the submission beside it (`.log`)."""
    path = outcome_path(coursedir, outcome.assignment, outcome.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = outcome.as_dict()
    path.with_suffix(".log").write_text(record.pop("log"))
    path.write_text(json.dumps(record, indent=1))


def load_outcome(coursedir, assignment, student):
    path = outcome_path(coursedir, assignment, student)
    return json.loads(path.read_text()) if path.exists() else None


def feedback(root, names=None, config=None, log=print):
    """HTML feedback for every autograded submission of `names`, into feedback/.

    One submission at a time: a failure for one student never stops the
    others. `log` gets the summary. Returns [Outcome]."""
    api = api_for(root, config)
    autograded = Path(api.coursedir.root) / api.coursedir.autograded_directory
    outcomes = []
    for name in names or assignments(root):
        for student in sorted(p.parent.name for p in autograded.glob(f"*/{name}") if p.is_dir()):
            try:
                result = api.generate_feedback(name, student, force=True)
            except Exception as error:
                result = {"success": False, "error": f"{type(error).__name__}: {error}"}
            outcome = Outcome(name, student, log=result.get("log", "") + result.get("error", ""))
            if not result.get("success"):
                outcome.problems.append(f"no feedback: {last_error(outcome.log)}")
            outcomes.append(outcome)
            if log:
                log(f"[{len(outcomes)}] {name} {student}: " + ("done" if outcome.graded else "PROBLEM (see the summary)"))
    if log and outcomes:
        log(summary("feedback", outcomes))
    return outcomes


# -- grades -----------------------------------------------------------------

def export_grades(root, path="grades.csv", detail_path="grades_by_test.csv", config=None):
    """Write nbgrader's per-assignment CSV and a per-test CSV with the reason of each loss."""
    config = config if config is not None else load_config(root)
    coursedir = CourseDirectory(config=config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        CsvExportPlugin(to=str(path), config=config).export(gradebook)
        rows = scores_by_test(root, gradebook, coursedir)
    with open(detail_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(SCORES_BY_TEST_FIELDS))
        writer.writeheader()
        writer.writerows(rows)
    return path, detail_path


SCORES_BY_TEST_FIELDS = ("assignment", "notebook", "student_id", "test", "score", "max_score", "reason")


def scores_by_test(root, gradebook, coursedir=None):
    """One row per student and test cell: score, maximum and, when points were lost, why."""
    coursedir = coursedir or CourseDirectory(config=load_config(root))
    rows = []
    for assignment in gradebook.assignments:
        for notebook in assignment.notebooks:
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission_notebook(notebook.name, assignment.name, student.id)
                except MissingEntry:
                    continue
                path = Path(coursedir.format_path(coursedir.autograded_directory, student.id, assignment.name))
                reasons = failure_reasons(path / f"{notebook.name}.ipynb")
                unexplained = reasons.get(None) or not_graded_reason(coursedir, assignment.name, student.id,
                                                                        notebook.name)
                for grade in sorted(submission.grades, key=lambda g: g.name):
                    lost = (grade.score or 0) < (grade.max_score or 0)
                    reason = reasons.get(grade.name, unexplained) if lost else ""
                    rows.append({
                        "assignment": assignment.name, "notebook": notebook.name,
                        "student_id": student.id, "test": grade.name,
                        "score": grade.score, "max_score": grade.max_score, "reason": reason,
                    })
    return rows


def failure_reasons(notebook_path):
    """{grade_id: why that graded cell lost points} for an autograded notebook; under the key
    None, the repairs made to it ("" when there were none)."""
    if not Path(notebook_path).exists():
        return {}
    notebook = nbformat.read(notebook_path, as_version=4)
    reasons = {None: "; ".join(repairs_of(notebook))}
    for cell in notebook.cells:
        if not is_grade(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        if is_solution(cell):
            reasons[grade_id] = "needs a manual grade"
        else:
            reasons[grade_id] = score_test_cell(cell)[2]
    return reasons


def not_graded_reason(coursedir, assignment, student, notebook):
    """Why a notebook has no graded copy: what its last autograde reported."""
    outcome = load_outcome(coursedir, assignment, student)
    problems = [p for p in (outcome or {}).get("problems", []) if p.startswith(f"{notebook}.ipynb")]
    if problems:
        return problems[0]
    if outcome and outcome["problems"]:
        return outcome["problems"][0]
    return f"{notebook}.ipynb was never autograded for this student (run autograde)"
