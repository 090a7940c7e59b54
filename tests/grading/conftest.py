"""Helpers to play a notebook in plain Python: a learner's cell and a test cell.

In a notebook, each cell is compiled under its own file name; `grading`
tells the learner's code from the test's by those names. `cell(source)`
does the same here: it runs `source` as a cell of its own (registered with
linecache, as IPython does) in a shared namespace, and returns that
namespace.
"""

import itertools
import linecache

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
