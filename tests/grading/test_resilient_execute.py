"""ResilientExecute: a dying or deaf kernel costs one cell, not the notebook."""

import re

import pytest

from mlkit.grading.authoring import code_cell, notebook
from mlkit.grading.resilient_execute import ResilientExecute

# The kernel of these notebooks is a real one: each test starts two or three.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def execute(tmp_path, sources, **traits):
    book = notebook([code_cell(source) for source in sources])
    ResilientExecute(**traits).preprocess(book, {"metadata": {"path": str(tmp_path)}})
    return book


def text_of(cell):
    return " ".join(out.get("text", "") + " ".join(out.get("traceback", [])) for out in cell.outputs)


def test_after_a_crash_the_next_cells_run_with_the_earlier_definitions(tmp_path):
    book = execute(tmp_path, ["answer = 21", "import os\nos._exit(1)", "print(answer * 2)"])
    assert [out.ename for out in book.cells[1].outputs if out.output_type == "error"] == ["DeadKernelError"]
    assert "The kernel died while this cell was running" in text_of(book.cells[1])
    assert text_of(book.cells[2]).strip() == "42"


def test_after_too_many_crashes_the_rest_is_marked_not_run(tmp_path):
    book = execute(tmp_path, ["import os\nos._exit(1)", "print('never')"], max_restarts=0)
    assert "This cell was not run: the kernel died too many times" in text_of(book.cells[1])


def test_a_cell_that_ignores_interrupts_is_abandoned_and_grading_goes_on(tmp_path):
    deaf = "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass"
    book = execute(tmp_path, ["value = 'kept'", deaf, "print(value)"], timeout=1, iopub_timeout=1)
    assert "did not stop when interrupted" in text_of(book.cells[1])
    assert text_of(book.cells[2]).strip() == "kept"


def test_a_timeout_says_how_long_the_limit_was(tmp_path):
    book = execute(tmp_path, ["while True:\n    pass", "print('next')"], timeout=1)
    assert re.search(r"This cell ran longer than 1 seconds and was stopped", text_of(book.cells[0]))
    assert text_of(book.cells[1]).strip() == "next"
