"""Grading a class at once: the parallel runner, a real Dask cluster, and what a rerun grades.

One small class of 01_the_layer (a full solution, a partial one, an untouched
release, a crash, an endless loop and a wrong answer) is graded three ways,
each in its own copy of the course: one notebook at a time (`workers=1`), on
two local workers, and on a real Dask cluster (a `dask scheduler` and two
`dask worker` processes on 127.0.0.1, one of them killed while it grades).
All three must give the same scores and the same graded notebooks.
"""

import json
import os
import re
import signal
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import class_grading
from mlkit.grading.grading_summary import Outcome, summary

ASSIGNMENT = "01_the_layer"
NOTEBOOK = "the_layer.ipynb"
BIN = Path(sys.executable).parent
LOOP = "while True:\n    pass\n"


def submissions(course):
    """{student: notebook}: a small class with each kind of submission."""
    solved = course.solved_notebook(ASSIGNMENT, NOTEBOOK)

    def edited(grade_id, change):
        book = course.solved_notebook(ASSIGNMENT, NOTEBOOK)
        cell = next(c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source = change(cell.source)
        return book

    return {
        "full": solved,
        "first_exercise": course.solved_notebook(ASSIGNMENT, NOTEBOOK, ["ex1_"]),
        "untouched": course.student_notebook(ASSIGNMENT, NOTEBOOK),
        # The kernel dies in ComputeSum.call: that exercise scores 0, the first one is graded.
        "crash": edited("ex2_compute_sum", lambda s: s.replace(
            "def call(self, inputs):\n", "def call(self, inputs):\n        import os; os._exit(1)\n")),
        # SimpleDense.call never returns: the cells that call it are stopped, ComputeSum is graded.
        "endless_loop": edited("ex1_simple_dense", lambda s: s.replace(
            "def call(self, inputs):\n", "def call(self, inputs):\n        " + LOOP.replace("\n    ", "\n            "))),
        "no_bias": edited("ex1_simple_dense", lambda s: s.replace(" + self.bias", "")),
    }


def class_folder(tmp_path_factory, make_course_folder, name):
    course = make_course_folder(tmp_path_factory.mktemp(name), [ASSIGNMENT])
    course.release()
    for student, book in submissions(course).items():
        course.submit(student, ASSIGNMENT, NOTEBOOK, book)
    return course


def scores(course):
    return {student: course.scores(student, ASSIGNMENT, NOTEBOOK) for student in submissions(course)}


def graded_cells(course, student):
    """A graded notebook as comparable data: each cell's source and outputs, without run
    metadata, and with the seconds of time limits (they follow the machine's speed) hidden.

    Where the kernel died (the "crash" student), which of the cell's last outputs left the
    process before it died is a race of the operating system's, in one run as in two: that
    cell is compared by its source and its fate only."""
    book = course.autograded(student, ASSIGNMENT, NOTEBOOK)
    return [(cell.cell_type, cell.source,
             "the kernel died in this cell" if kernel_died(cell) else
             json.dumps([without_seconds({k: v for k, v in output.items() if k != "execution_count"})
                         for output in joined_streams(cell.get("outputs", []))], sort_keys=True))
            for cell in book.cells]


def joined_streams(outputs):
    """Outputs with consecutive prints to the same stream joined: how a print is split into
    messages depends on the machine's load, not on the grading."""
    joined = []
    for output in outputs:
        if (output.get("output_type") == "stream" and joined and joined[-1].get("output_type") == "stream"
                and joined[-1]["name"] == output["name"]):
            joined[-1] = {**joined[-1], "text": "".join(joined[-1]["text"]) + "".join(output["text"])}
        else:
            joined.append(dict(output))
    return joined


def kernel_died(cell):
    return "DeadKernelError" in json.dumps(cell.get("outputs", []))


def without_seconds(output):
    if output.get("ename") != "CellTimeoutError":
        return output
    hide = lambda text: re.sub(r"\d+ seconds", "N seconds", text)
    return {**output, "evalue": hide(output["evalue"]), "traceback": [hide(line) for line in output["traceback"]]}


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory, make_course_folder):
    course = class_folder(tmp_path_factory, make_course_folder, "one-at-a-time")
    return course, course.autograde([ASSIGNMENT], workers=1)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, make_course_folder):
    course = class_folder(tmp_path_factory, make_course_folder, "two-workers")
    return course, course.autograde([ASSIGNMENT], workers=2)


def graded_students(outcomes):
    return sorted(o.student for o in outcomes.values() if o.graded and not o.unchanged)


def test_every_student_is_graded_with_the_fair_score(one_at_a_time):
    course, outcomes = one_at_a_time
    assert graded_students(outcomes) == sorted(submissions(course)), summary("autograde", list(outcomes.values()))
    totals = {student: sum(score for score, _ in grades.values()) for student, grades in scores(course).items()}
    assert totals["full"] == 9
    assert totals["first_exercise"] == 6
    assert totals["untouched"] == 0
    assert totals["crash"] == 6, "the first exercise is graded although ComputeSum kills the kernel"
    assert totals["endless_loop"] == 3, "ComputeSum is graded although SimpleDense never returns"
    assert totals["no_bias"] == 7  # only the output check fails: weights, shapes and ComputeSum pass


def test_an_endless_loop_uses_up_the_budget_then_each_cell_gets_a_short_leash(one_at_a_time):
    course, _ = one_at_a_time
    book = course.autograded("endless_loop", ASSIGNMENT, NOTEBOOK)
    stopped = [cell for cell in book.cells
               if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))]
    assert len(stopped) >= 2, "the cells outside the tests that call SimpleDense loop and must be stopped"
    explained = [cell for cell in stopped
                 if any("used up its time budget" in "\n".join(o.get("traceback", [])) for o in cell.outputs)]
    assert explained and explained[-1] is stopped[-1], "the last stops say the budget was used up"


def test_two_workers_grade_exactly_as_one(one_at_a_time, two_workers):
    sequential, _ = one_at_a_time
    parallel, outcomes = two_workers
    assert graded_students(outcomes) == sorted(submissions(parallel))
    assert scores(parallel) == scores(sequential)
    for student in submissions(sequential):
        assert graded_cells(parallel, student) == graded_cells(sequential, student), student


def test_each_submission_keeps_its_own_log_of_the_run(two_workers):
    """Notebooks run on two threads at once: each outcome holds its own notebook's execute log."""
    _, outcomes = two_workers
    for outcome in outcomes.values():
        assert outcome.log.count("Running the notebook's") == 1, (outcome.student, outcome.log)
        assert ("The kernel died" in outcome.log) == (outcome.student == "crash"), (outcome.student, outcome.log)


def test_feedback_is_the_same_from_both_runs(one_at_a_time, two_workers):
    pages = []
    for course, _ in (one_at_a_time, two_workers):
        course.feedback([ASSIGNMENT])
        pages.append({student: strip_times(course.feedback_html(student, ASSIGNMENT, NOTEBOOK))
                      for student in submissions(course)
                      if not any(map(kernel_died, course.autograded(student, ASSIGNMENT, NOTEBOOK).cells))})
    assert pages[0] == pages[1]


def strip_times(page):
    """A feedback page's text without what follows the clock: timestamps, execution counts, time limits."""
    page = re.sub(r"In(\s|&nbsp;)*\[[^\]]*\]:", "In [N]:", page)
    # What the page says, without its markup: a print split into two messages is two blocks.
    page = " ".join(re.sub(r"<[^>]*>", " ", page).split())
    page = re.sub(r"\d{4}-\d{2}-\d{2}[ T][\d:.]+(\s*\w+)?", "<time>", page)
    return re.sub(r"\d+ seconds", "N seconds", page)


def test_a_rerun_grades_only_what_changed(two_workers):
    course, _ = two_workers
    again = course.autograde([ASSIGNMENT], force=False)
    assert graded_students(again) == []
    assert all(o.unchanged for o in again.values()) and len(again) == len(submissions(course))
    assert "6 unchanged since they were graded" in summary("autograde", list(again.values()))

    course.submit("first_exercise", ASSIGNMENT, NOTEBOOK, course.solved_notebook(ASSIGNMENT, NOTEBOOK))
    resubmitted = course.autograde([ASSIGNMENT], force=False)
    assert graded_students(resubmitted) == ["first_exercise"]
    assert sum(s for s, _ in course.scores("first_exercise", ASSIGNMENT, NOTEBOOK).values()) == 9

    shutil.rmtree(course.root / "autograded" / "first_exercise" / ASSIGNMENT)  # a graded copy lost
    assert graded_students(course.autograde([ASSIGNMENT], force=False)) == ["first_exercise"]
    ours = [path for path in (course.root / "autograded").rglob("*")
            if "fingerprint" in path.name or path.name.startswith(".mlkit")]
    assert not ours  # fingerprints live in .nbgrader/outcomes/, not among the graded copies feedback copies


def test_progress_shows_students_done_problems_and_time_left(capsys):
    progress = class_grading.Progress(2, stream=sys.stdout)
    progress.update(Outcome(ASSIGNMENT, "a"))
    progress.update(Outcome(ASSIGNMENT, "b", problems=["x"]))
    assert "2/2 students, 1 problems" in capsys.readouterr().out


# -- a real Dask cluster --------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    if not (BIN / "dask").exists():
        pytest.skip("Dask is not installed in this environment (`make test` installs dask[distributed])")
    folder = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = []

    def start(*command, log):
        process = subprocess.Popen([str(BIN / "dask"), *command], cwd=folder, start_new_session=True,
                                   stdout=open(folder / log, "wb"), stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", log="scheduler.log")
    workers = [start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                     "--name", f"worker-{i}", log=f"worker-{i}.log") for i in range(2)]
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    try:
        yield address, workers
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_a_dask_cluster_grades_like_one_machine_even_when_a_worker_dies(
        tmp_path_factory, make_course_folder, dask_cluster, one_at_a_time):
    address, workers = dask_cluster
    course = class_folder(tmp_path_factory, make_course_folder, "dask")
    victim = workers[0]

    class KillOnce(class_grading.Progress):
        """Kills a worker (and the kernels it runs) once the first student is recorded."""

        def update(self, result):
            super().update(result)
            if victim.poll() is None:
                os.killpg(victim.pid, signal.SIGKILL)

    report = class_grading.grade_class(course.root, [(ASSIGNMENT, s) for s in submissions(course)],
                                       config=course.config, scheduler=address,
                                       progress=KillOnce(len(submissions(course))))
    assert victim.poll() is not None, "the worker was not killed during the run"
    graded = sorted(o.student for o in report.outcomes if o.graded)
    assert graded == sorted(submissions(course)), "each student graded exactly once"
    reference, _ = one_at_a_time
    assert scores(course) == scores(reference)


# -- Ctrl-C ---------------------------------------------------------------------

def descendants(pid):
    """The process ids of every descendant of process `pid` (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found += children
        frontier += children
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_kills_the_running_notebooks_keeps_the_finished_and_a_rerun_grades_the_rest(
        tmp_path_factory, make_course_folder, monkeypatch):
    course = make_course_folder(tmp_path_factory.mktemp("interrupted"), [ASSIGNMENT])
    course.release()
    course.submit("a_full", ASSIGNMENT, NOTEBOOK, course.solved_notebook(ASSIGNMENT, NOTEBOOK))
    slow = course.solved_notebook(ASSIGNMENT, NOTEBOOK)
    cell = next(c for c in slow.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_compute_sum")
    cell.source = "import time\ntime.sleep(600)  # stopped by its time budget, some 20 s on\n" + cell.source
    course.submit("b_slow", ASSIGNMENT, NOTEBOOK, slow)
    outcomes = course.root / ".nbgrader" / "outcomes" / ASSIGNMENT

    grader = subprocess.Popen([sys.executable, "-m", "mlkit.grading", "autograde", ASSIGNMENT, "--workers", "2"],
                              cwd=course.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    try:
        deadline = time.monotonic() + 240
        while not (outcomes / "a_full.fingerprint").exists():
            assert grader.poll() is None, grader.stdout.read()
            assert time.monotonic() < deadline, "a_full was never recorded"
            time.sleep(0.2)
        assert not (outcomes / "b_slow.json").exists(), "b_slow should still be running when Ctrl-C comes"
        kernels = descendants(grader.pid)
        assert kernels, "the slow student's kernel runs in a process of the grader's"
        interrupted = time.monotonic()
        grader.send_signal(signal.SIGINT)
        output, _ = grader.communicate(timeout=60)
        stopped_after = time.monotonic() - interrupted
    finally:
        if grader.poll() is None:
            grader.kill()
    assert stopped_after < 15, f"the grader took {stopped_after:.0f} s to stop after Ctrl-C"
    assert grader.returncode == 130, output
    assert "interrupted" in output
    assert not [pid for pid in kernels if alive(pid)], "a kernel or sandbox process outlived the grader"
    assert (outcomes / "a_full.json").exists() and not (outcomes / "b_slow.json").exists()
    assert sum(s for s, _ in course.scores("a_full", ASSIGNMENT, NOTEBOOK).values()) == 9

    monkeypatch.setattr(class_grading, "BUDGET_FLOOR_SECONDS", 5.0)  # the sleep stopped sooner this time
    rerun = course.autograde([ASSIGNMENT], force=False, workers=2)
    assert graded_students(rerun) == ["b_slow"]
    assert rerun[ASSIGNMENT, "a_full"].unchanged
