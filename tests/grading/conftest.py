"""Helpers to play a notebook in plain Python: a learner's cell and a test cell.

In a notebook, each cell is compiled under its own file name; `grading`
tells the learner's code from the test's by those names. `Notebook.run(source)`
does the same here: it runs `source` as a cell of its own (registered with
linecache, as IPython does) in a shared namespace, and returns that
namespace. The judge tests play both sides of the trusted judge with the
helpers of both_sides.py, handed out below as fixtures (pytest imports test
files with --import-mode=importlib: they cannot import a module of this folder).
"""

import importlib.util
import itertools
import linecache
from pathlib import Path

import pytest

from mlkit.grading import cell_history

_numbers = itertools.count(1)


class Notebook:
    def __init__(self):
        self.namespace = {"__name__": "__main__"}

    def run(self, source, record=True):
        """Run `source` as a new cell; like IPython, remember how it ended."""
        filename = f"<cell {next(_numbers)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            exec(compile(source, filename, "exec"), self.namespace)
        except Exception as error:
            if record:
                cell_history.record(source, error)
            raise
        if record:
            cell_history.record(source)
        return self.namespace


@pytest.fixture
def notebook():
    cell_history.clear()
    yield Notebook()
    cell_history.clear()


def _load_both_sides():
    spec = importlib.util.spec_from_file_location("both_sides", Path(__file__).with_name("both_sides.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


both_sides_module = _load_both_sides()


@pytest.fixture
def both_sides(notebook, monkeypatch):
    """The learner's kernel and the trusted judge, played in this test's `notebook`."""
    return both_sides_module.BothSides(notebook, monkeypatch)


@pytest.fixture(scope="session")
def solution_cells():
    """`solution_cells("08_standard_layers/standard_layers.ipynb")`: that solutions notebook's cells (a new
    `Cells` on each call, so a test may add cells of its own)."""
    return both_sides_module.Cells


@pytest.fixture(scope="module")
def cells_08(solution_cells):
    """The cells of notebook 08 (standard layers)."""
    return solution_cells("08_standard_layers/standard_layers.ipynb")


@pytest.fixture(scope="module")
def cells_09(solution_cells):
    """The cells of notebook 09 (the capstone)."""
    return solution_cells("09_capstone/capstone.ipynb")


@pytest.fixture(params=sorted(both_sides_module.CHEATS))
def cheat(request):
    """A patch a learner's cell may add to pass anyway (once for each of both_sides.CHEATS)."""
    return both_sides_module.CHEATS[request.param]
