"""`ResilientExecute`: nbgrader's Execute step, which survives a dying kernel.

nbgrader runs a submission in one kernel. When a student's code kills it
(`os._exit`, a segfault, memory exhaustion) or leaves it deaf to
interrupts, nbgrader drops the whole notebook: no feedback, a score of 0,
no reason. This preprocessor instead writes the reason into the cell that
was running, starts a fresh kernel, silently re-runs the cells that had
succeeded before (so later exercises find their definitions), and goes on
with the next cell. The broken exercise scores 0 with an explanation and
the others are graded as usual.

A notebook may also get a time budget (`time_budget`, in seconds; the
class grader sets it from the reference solution's own time, so it grows on
a slow machine). Once the budget is used up, every later cell may run for a
quarter of it only (`stalled_share`): a student whose layer loops forever
costs about twice the budget, not one full time limit per cell that calls
it, and the exercises that don't call it are still graded. Cells replayed
after a restart keep the full limit.

When the instructor stops a class's grading (Ctrl-C), `stop_every_notebook()`
kills the kernel of every notebook running in this process (its whole
process group; a sandbox dies with it) and each of them ends with
`GradingStopped` instead of a restart: nothing half-run is recorded.

It is an instructor tool (it imports nbgrader); nbgrader_config.py puts it
in place of `Execute` in `Autograde.autograde_preprocessors`. Settings of
`Execute` (timeout, ...) apply to it too.
"""

import collections
import copy
import os
import signal
import threading
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Float, Integer, default

KERNEL_DIED = [
    "The kernel died while this cell was running (the Python process running the notebook "
    "crashed or was killed), so this cell scores 0.",
    "Likely mistake: code that ends the process (os._exit, sys.exit in a thread), a crash in a "
    "compiled library, or an array so big that memory ran out.",
    "The notebook was restarted after this cell and the cells after it were graded as usual.",
]
KERNEL_UNRESPONSIVE = [
    "This cell ran past the time limit and did not stop when interrupted, so it scores 0.",
    "Likely mistake: a loop that never ends and catches the interruption "
    "(a bare `except:` inside a `while True`).",
    "The notebook was restarted after this cell and the cells after it were graded as usual.",
]
NOT_RUN = [
    "This cell was not run: the kernel died too many times in this notebook, so it scores 0.",
]

_running = set()  # the ResilientExecute steps running a notebook in this process
_running_lock = threading.Lock()
_stopping = threading.Event()


class GradingStopped(Exception):
    """The instructor stopped the grading while this notebook ran: it has no result."""


def stop_every_notebook():
    """Kill the kernel of every notebook running in this process, at once; each of them then
    ends with GradingStopped, and no notebook starts a kernel until `resume()`."""
    _stopping.set()
    with _running_lock:
        steps = list(_running)
    for step in steps:
        kill_kernel_of(step.km)


def resume():
    """Let notebooks run again (after `stop_every_notebook`)."""
    _stopping.clear()


def kill_kernel_of(manager):
    """SIGKILL a kernel's process group (the kernel runs in a session of its own; a sandboxed
    kernel's whole sandbox dies with it)."""
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


class ResilientExecute(Execute):
    max_restarts = Integer(
        3, help="How many times a notebook's kernel may be restarted after dying."
    ).tag(config=True)
    time_budget = Float(
        None, allow_none=True, help="Seconds the whole notebook may run before its cells get a short leash."
    ).tag(config=True)
    stalled_share = Float(
        0.25, help="The time limit of each cell once the notebook's time budget is used up, "
                   "as a share of the budget."
    ).tag(config=True)

    @default("timeout_func")
    def _timeout_func_default(self):
        return self._cell_timeout

    def _cell_timeout(self, cell):
        """This cell's limit: the per-cell timeout, within what is left of the budget."""
        timeout, stalled = self.timeout, False
        if self.time_budget is not None and not self._replaying:
            left = self.time_budget - (time.monotonic() - self._started)
            leash = self.stalled_share * self.time_budget
            stalled = left <= leash
            timeout = int(round(max(leash, min(timeout if timeout and timeout > 0 else left, left))))
        self.error_on_timeout = self._timeout_error(timeout, stalled)
        return timeout

    @default("error_on_timeout")
    def _error_on_timeout_default(self):
        return self._timeout_error(self.timeout)

    def _timeout_error(self, seconds, stalled=False):
        """The output a cell gets when it runs past its limit (nbclient adds it)."""
        lines = [
            f"This cell ran longer than {seconds} seconds and was stopped, so it scores 0.",
            "Likely mistake: a loop that never ends (a `while` whose condition stays true?).",
        ]
        if stalled:
            lines.append(f"(The notebook had used up its time budget of {self.time_budget:.0f} seconds, "
                         "so each remaining cell could run only briefly.)")
        return {"ename": "CellTimeoutError", "evalue": lines[0], "traceback": lines}

    def preprocess(self, nb, resources=None, km=None):
        with _running_lock:
            _running.add(self)
        try:
            return self._preprocess(nb, resources, km)
        finally:
            with _running_lock:
                _running.discard(self)

    def _preprocess(self, nb, resources, km):
        self._stop_if_asked()
        NotebookClient.__init__(self, nb, km)
        if km is None:
            self.km = self._spare_kernel_manager(resources)  # a kernel started ahead of need, if any
        # The budget runs from the moment the first kernel answers: a kernel started ahead of need
        # (or not) changes nothing of what the student's cells may use.
        self._started, self._replaying = None, False
        # Where this notebook's time went (seconds by step), for the class grader's breakdown.
        self.seconds = collections.Counter()
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        budget = f"{self.time_budget:.0f} s" if self.time_budget else "none"
        self.log.info("Running the notebook's %d cells (time budget: %s)", len(self.nb.cells), budget)
        finished = []  # indices of cells that ran without error: replayed after a restart
        index, restarts = 0, 0
        shutdown = self.shutdown_kernel
        while index < len(self.nb.cells):
            self._stop_if_asked()
            if restarts > self.max_restarts:
                for cell in self.nb.cells[index:]:
                    if cell.cell_type == "code":
                        cell.outputs = [_error_output("KernelDiedTooOften", NOT_RUN)]
                break
            self.shutdown_kernel = shutdown
            clock = time.perf_counter()
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                self.seconds["kernel start"] += time.perf_counter() - clock
                if self._started is None:
                    self._started = time.monotonic()
                self._stop_if_asked()
                self._kernel_ready()
                try:
                    if restarts:
                        self._replay(finished)
                except (DeadKernelError, CellTimeoutError):
                    self._discard_kernel()  # try again with a new kernel (counts as a restart)
                else:
                    index = self._run_from(index, finished, resources)
                clock = time.perf_counter()
            self.seconds["kernel shutdown"] += time.perf_counter() - clock
            if index < len(self.nb.cells):
                restarts += 1
        self.shutdown_kernel = shutdown
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _run_from(self, start, finished, resources):
        """Run cells from `start`; return the index to resume at after a kernel loss
        (or the number of cells when all ran)."""
        for index in range(start, len(self.nb.cells)):
            cell = self.nb.cells[index]
            clock = time.perf_counter()
            try:
                self.preprocess_cell(cell, resources, index)
            except DeadKernelError:
                self._stop_if_asked()  # killed by stop_every_notebook: not the student's doing
                self.log.warning("The kernel died in cell %d: restarting it and going on.", index)
                cell.outputs = list(cell.get("outputs", [])) + [_error_output("DeadKernelError", KERNEL_DIED)]
                self._discard_kernel()
                return index + 1
            except CellTimeoutError:
                self.log.warning("Cell %d did not stop when interrupted: restarting the kernel.", index)
                cell.outputs = list(cell.get("outputs", [])) + [_error_output("CellTimeoutError", KERNEL_UNRESPONSIVE)]
                self._discard_kernel()
                return index + 1
            finally:
                first = cell.cell_type == "code" and not any(c.cell_type == "code" for c in self.nb.cells[:index])
                self.seconds["first cell (imports)" if first else "other cells"] += time.perf_counter() - clock
            if cell.cell_type == "code" and not any(o.output_type == "error" for o in cell.outputs):
                finished.append(index)
        return len(self.nb.cells)

    def _stop_if_asked(self):
        if _stopping.is_set():
            self._discard_kernel()
            raise GradingStopped("grading was stopped while this notebook ran")

    def _spare_kernel_manager(self, resources):
        """A kernel manager whose kernel was started ahead of need (a subclass may keep one), or None."""
        return None

    def _kernel_ready(self):
        """Called each time a kernel of this notebook has answered (before its cells run):
        a subclass may start the next notebook's kernel meanwhile."""

    def _replay(self, finished):
        """Re-run the cells that had succeeded (not the tests) in the new kernel; keep no outputs."""
        self._replaying = True
        try:
            self._replay_cells(finished)
        finally:
            self._replaying = False

    def _replay_cells(self, finished):
        for index in finished:
            cell = self.nb.cells[index]
            if is_grade(cell) and not is_solution(cell):
                continue
            self.execute_cell(copy.deepcopy(cell), index, store_history=False)

    def _discard_kernel(self):
        """Have the kernel killed at once when setup_kernel() exits (a dead or deaf kernel
        cannot shut down gracefully); the next setup_kernel() starts a new one."""
        self.shutdown_kernel = "immediate"


def _error_output(name, lines):
    return NotebookNode(output_type="error", ename=name, evalue=lines[0], traceback=list(lines))
