"""Write course notebooks from Python, with the cell metadata nbgrader expects.

The notebooks in solutions/ are the source of truth; this helps write them
(or new ones) without clicking through JupyterLab's "Create Assignment"
toolbar, and keeps the conventions the course's tests check:

- the first cell is markdown with a "## Learning objectives" section;
- the first code cell is a read-only `setup` cell that imports `grading`;
- exercise N is announced by a heading "## Exercise N (P points): ..."
  and has a solution cell `exN_...` and two or more test cells
  `exN_test_...`, each worth points, each with visible checks and hidden
  ones between `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS`;
- test cells hold only imports and `with grading.exercise(...):` blocks.

`grade_in_process` runs a notebook's test cells against any answers in
this process (no kernel, no nbgrader): the quick way to check that the
hidden tests catch each plausible mistake, with the message you intend.

    >>> cells = [
    ...     markdown_cell("# 00 · Welcome"),
    ...     setup_cell("from mlkit import grading"),
    ...     solution_cell("ex1_answer", "def answer():\\n    ### BEGIN SOLUTION\\n    return 42\\n    ### END SOLUTION"),
    ...     graded_cell("ex1_test_value", 1, 'with grading.exercise("the answer"):\\n    grading.check_equal(answer(), 42, "answer()")'),
    ... ]
    >>> notebook(cells).cells[2].metadata.nbgrader["grade_id"]
    'ex1_answer'
"""

import contextlib
import io
import linecache

import nbformat

SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def markdown_cell(text):
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code_cell(text):
    """An ordinary code cell: examples the learner runs and may change."""
    return nbformat.v4.new_code_cell(text.strip("\n"))


def setup_cell(text, grade_id="setup"):
    """A read-only code cell (imports, data) that every later cell relies on."""
    return _with_metadata(code_cell(text), grade_id, grade=False, solution=False, locked=True)


def solution_cell(grade_id, text):
    """The learner's cell: code between ### BEGIN/END SOLUTION becomes a stub."""
    return _with_metadata(code_cell(text), grade_id, grade=False, solution=True, locked=False)


def graded_cell(grade_id, points, text):
    """A read-only, autograded test cell worth `points` (all or nothing)."""
    return _with_metadata(code_cell(text), grade_id, grade=True, solution=False, locked=True, points=points)


def notebook(cells):
    """A notebook of `cells`, with the python3 kernel and stable cell ids."""
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = dict(KERNELSPEC)
    book.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id.replace("_", "-") if grade_id else f"cell-{index:02d}"
    book.cells = list(cells)
    nbformat.validate(book)
    return book


def write(book, path):
    nbformat.write(book, str(path))


def solved(released, source, exercises=None):
    """A copy of the `released` (student) notebook with its solution cells answered as in
    `source` (the instructor's), without the solution markers: what a student who solved
    every exercise (or only those whose grade_id starts with one of `exercises`,
    e.g. ["ex1_"]) hands in. For dry runs of grading and tests of the course."""
    import copy

    answers = {cell.metadata.nbgrader["grade_id"]: cell.source for cell in source.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    book = copy.deepcopy(released)
    for cell in book.cells:
        info = cell.metadata.get("nbgrader", {})
        if info.get("solution") and (exercises is None or info["grade_id"].startswith(tuple(exercises))):
            cell.source = "\n".join(line for line in answers[info["grade_id"]].split("\n")
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return book


def grade_in_process(path, answers=None, *, run_examples=False):
    """Run the notebook at `path` here; return {test cell id: None if it passed, else its error}.

    The setup cell, the solution cells (each replaced by `answers[grade_id]`
    when given, else the instructor's solution) and the test cells run in
    order in one namespace; other code cells (examples, plots) run only
    with `run_examples=True`. Test cells run with their hidden tests. An
    answer that fails is recorded as IPython would, so the tests can say
    why. Cells must be plain Python (no %magics).
    """
    from mlkit.grading import cell_history

    book = nbformat.read(str(path), as_version=4)
    answers = answers or {}
    cell_history.clear()
    try:
        return _run_cells(book, answers, run_examples)
    finally:
        cell_history.clear()  # the cells ran in this process: leave no history for later code to read


def failures(results):
    """{test cell id: its message} of the cells that failed in `results` (what `grade_in_process` returns)."""
    return {grade_id: str(error) for grade_id, error in results.items() if error is not None}


def wrong_verdicts(results, failing, phrase, cell=None):
    """How the grading of a plausible mistake differs from what its author expects: [] when exactly
    the test cells `failing` fail, each with a grading failure that says `phrase` (or only `cell` does).

        answers = {"ex1_answer": "def answer():\n    return 41"}
        assert wrong_verdicts(grade_in_process(path, answers), {"ex1_test_value"}, "Expected: 42") == []
    """
    from mlkit.grading.failure import GradingFailure

    failed = failures(results)
    problems = [] if set(failed) == set(failing) else [
        f"the cells that fail are {sorted(failed)}, not {sorted(failing)}: {failed}"]
    for grade_id in [cell] if cell else sorted(failing):
        error = results.get(grade_id)
        if not isinstance(error, GradingFailure):
            problems.append(f"{grade_id} ended with {error!r}, not with a grading failure")
        elif phrase not in str(error):
            problems.append(f"{grade_id} does not say {phrase!r}: {error}")
    return problems


def _run_cells(book, answers, run_examples):
    from mlkit.grading import cell_history

    namespace = {"__name__": "__main__"}
    results = {}
    for index, cell in enumerate(book.cells):
        if cell.cell_type != "code":
            continue
        info = cell.metadata.get("nbgrader", {})
        grade_id = info.get("grade_id")
        is_test = info.get("grade") and not info.get("solution")
        if not (grade_id or run_examples):
            continue
        source = answers.get(grade_id, cell.source)
        filename = f"<cell {index}: {grade_id or 'example'}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, filename, "exec"), namespace)
        except Exception as error:
            cell_history.record(source, error)  # as IPython would: tests may explain it
            if is_test:
                results[grade_id] = error
            elif not info.get("solution"):
                raise RuntimeError(f"cell {index} ({grade_id or 'example'}) failed: {error!r}") from error
        else:
            cell_history.record(source)
            if is_test:
                results[grade_id] = None
    return results


def _with_metadata(cell, grade_id, *, grade, solution, locked, points=None):
    metadata = {
        "grade": grade, "grade_id": grade_id, "locked": locked,
        "schema_version": SCHEMA_VERSION, "solution": solution, "task": False,
    }
    if points is not None:
        metadata["points"] = points
    cell.metadata["nbgrader"] = metadata
    return cell
