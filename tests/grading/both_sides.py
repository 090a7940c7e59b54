"""Playing both sides of the trusted judge in one process.

At autograde a learner's notebook runs in a sandboxed kernel whose test cells
run in "probe" mode: each check sends records of what it observed instead of
judging. The trusted grader, another process, then judges each test cell from
those records alone, with the learner's names as placeholders.

The judge tests of this folder play both sides here: the learner's cells and
a test cell run in probe mode in a `Notebook` (see conftest.py), then the same
test source is judged from the records it sent. Whatever the learner's code
patched in the kernel (the grading tools, NumPy) is undone before judging, as
a separate process would never have seen it. conftest.py hands these helpers
out as fixtures: `both_sides`, `solution_cells` and `cheat`.
"""

import contextlib
import importlib
import io
from pathlib import Path
from typing import NamedTuple

import mlkit
from mlkit.grading import judge, probe_channel
from mlkit.grading.failure import GradingFailure

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"

# What a learner's kernel may patch; restored before judging (at autograde the judge is another process).
PATCHABLE_MODULES = ("builtins", "numpy", "mlkit.grading", "mlkit.grading.exercise", "mlkit.grading.capstone_checks",
                     "mlkit.grading.standard_layers_checks", "mlkit.datasets.digits")

# Patches a learner's cell may add to pass anyway (in the kernel, where they are believed).
CHEATS = {
    "the exercise made silent": (
        "\nimport contextlib\nfrom mlkit import grading\n"
        "grading.exercise = lambda *a, **k: contextlib.suppress(BaseException)\n"),
    "NumPy's comparisons made to agree": (
        "\nimport numpy as np\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.isclose = lambda a, b, *rest, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)\n"),
}


@contextlib.contextmanager
def undone_afterwards():
    """Whatever the block (a learner's kernel) patches in the modules above is undone at its end."""
    saved = [(module, dict(vars(module))) for module in map(importlib.import_module, PATCHABLE_MODULES)]
    try:
        yield
    finally:
        for module, names in saved:
            for name, value in names.items():
                if vars(module).get(name) is not value:
                    setattr(module, name, value)


def fresh_start():
    """Fresh layer names and random seed 0: the kernel's run and the learner's own run start alike,
    so their messages (which name layers and draw random numbers) can be compared."""
    mlkit.utils.clear_session()
    mlkit.utils.set_random_seed(0)


class Cells:
    """The code cells of a solutions notebook, by grade_id, and the imports the judge runs first.

    `notebook` is the notebook's path inside solutions/, as "08_standard_layers/standard_layers.ipynb".
    """

    def __init__(self, notebook):
        import nbformat

        book = nbformat.read(str(SOLUTIONS / notebook), as_version=4)
        code = [cell for cell in book.cells if cell.cell_type == "code"]
        self.by_id = {cell.metadata["nbgrader"]["grade_id"]: cell.source
                      for cell in code if cell.metadata.get("nbgrader", {}).get("grade_id")}
        self.imports = judge.imports_of(
            [cell.source for cell in code if not cell.metadata.get("nbgrader", {}).get("solution")])

    def tests(self, prefix=""):
        """The test cells whose grade_id starts with `prefix`, in notebook order."""
        return [grade_id for grade_id in self.by_id if grade_id.startswith(prefix) and "_test_" in grade_id]

    def learner_ids(self):
        """The cells a learner runs before the tests, but the setup cell: answers and the cells between them."""
        return [grade_id for grade_id in self.by_id if grade_id != "setup" and "_test_" not in grade_id]

    def changed(self, grade_id, changes):
        """{grade_id: the instructor's answer with each (old, new) of `changes` replaced}."""
        source = self.by_id[grade_id]
        for old, new in changes:
            assert old in source, old
            source = source.replace(old, new)
        return {grade_id: source}


class KernelRun(NamedTuple):
    """A test cell run in probe mode: the kernel's own failure (or None), the records it sent, what it printed."""

    failure: GradingFailure | None
    records: list
    printed: str


class BothSides:
    """The learner's kernel and the trusted judge, played in one `Notebook`."""

    def __init__(self, notebook, monkeypatch):
        self.notebook = notebook
        self.monkeypatch = monkeypatch

    def run_test_cell(self, source):
        """Run a test cell after `fresh_start`, in the mode set; return (what it printed, its failure or None).
        The failure is the kernel's own verdict: kept to compare, never trusted."""
        printed, failure = io.StringIO(), None
        fresh_start()
        try:
            with contextlib.redirect_stdout(printed):
                self.notebook.run(source, record=False)
        except GradingFailure as error:
            failure = error
        return printed.getvalue(), failure

    def probe(self, test_source):
        """Run a test cell as the sandboxed kernel does: in probe mode."""
        records = []
        self.monkeypatch.setattr(probe_channel, "emit", records.append)
        self.monkeypatch.setattr(probe_channel.state, "mode", "probe")
        try:
            printed, failure = self.run_test_cell(test_source)
        finally:
            self.monkeypatch.setattr(probe_channel.state, "mode", "local")
        return KernelRun(failure, records, printed)

    def run_kernel(self, learner_source, test_source):
        """Run the learner's cell, then the test cell in probe mode; undo what the learner patched."""
        with undone_afterwards():
            self.notebook.run(learner_source)
            return self.probe(test_source)

    def probe_records(self, learner_source, test_source):
        """The records the test cell sends over the learner's cell."""
        return self.run_kernel(learner_source, test_source).records

    def run_and_judge(self, cells, learner_ids, test_ids, answers=None):
        """Run the setup cell and `learner_ids` cells (or their `answers`), then each test cell of `test_ids`
        in probe mode; return {test id: (the kernel's own failure or None, the judge's Verdict of the
        records it sent)}."""
        answers = answers or {}
        runs = {}
        with undone_afterwards():
            for grade_id in ["setup"] + list(learner_ids):
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        self.notebook.run(answers[grade_id] if grade_id in answers else cells.by_id[grade_id])
                except Exception:
                    pass  # recorded by the notebook, as IPython would: the tests explain it
            for grade_id in test_ids:
                runs[grade_id] = self.probe(cells.by_id[grade_id])
        return {grade_id: (run.failure, judge.judge_cell(cells.by_id[grade_id], run.records, cells.imports))
                for grade_id, run in runs.items()}

    def local_failure(self, source):
        """The failure a learner reads when running `source` in their own notebook (None: it passed)."""
        return self.run_test_cell(source)[1]

    def local_lines(self, source):
        """What a learner reads when running `source` in their own notebook: the ✓ lines, then the failure."""
        printed, failure = self.run_test_cell(source)
        passed = [line for line in printed.split("\n") if line.startswith("✓ ")]
        return passed + (failure.lines() if failure else [])

    @staticmethod
    def explanation(verdict):
        """The verdict's lines but the ✓ ones: what a failure explains."""
        return [line for line in verdict.lines if not line.startswith("✓ ")]
