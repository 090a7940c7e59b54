"""Every notebook follows the course's conventions (see mlkit/grading/authoring.py).

Instructor notebooks (solutions/): the python3 kernel, no stored outputs,
learning objectives first, a read-only setup cell that imports `grading`,
exercises numbered from 1, each announced as "## Exercise N (P points)"
with P its test cells' points, a solution cell and two or more test
cells worth points, visible checks and hidden ones, and test cells that
hold only imports and `with grading.exercise(...)` blocks (so every failure
is explained, never a bare assert). Student notebooks (course/): no
solutions or hidden tests left, a stub in every solution cell, nothing that
points into solutions/.

Each rule is a plain function, tested on the real notebooks and on broken
copies, so a rule that can no longer fail is noticed.
"""

import ast
import copy
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("solutions/*/*.ipynb"))
RELEASES = sorted(ROOT.glob("course/*/*.ipynb"))
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def is_test(cell):
    return nbgrader(cell).get("grade") and not nbgrader(cell).get("solution")


def problems_of_test_cell(source):
    """Why a test cell's code breaks the rules: [] if it has only imports and
    `with grading.exercise(...):` blocks, and no assert."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [f"does not parse: {error}"]
    problems = []
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.With) and all(_is_exercise(item.context_expr) for item in statement.items):
            continue
        problems.append(f"line {statement.lineno}: only imports and `with grading.exercise(...):` blocks "
                        "may stand at the top level of a test cell")
    if any(isinstance(node, ast.Assert) for node in ast.walk(tree)):
        problems.append("uses `assert`: use a grading check, which explains the failure")
    return problems


def _is_exercise(node):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "exercise"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "grading")


def source_notebook_problems(book):
    """Every way an instructor notebook breaks the course's conventions."""
    problems = []
    if book.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("the kernel must be python3")
    if not (book.cells and book.cells[0].cell_type == "markdown"
            and re.search(r"^## Learning objectives", book.cells[0].source, re.M)):
        problems.append("the first cell must be markdown with a '## Learning objectives' section")
    code_cells = [cell for cell in book.cells if cell.cell_type == "code"]
    if code_cells:
        first = nbgrader(code_cells[0])
        if not (first.get("grade_id") == "setup" and first.get("locked") and not first.get("grade")
                and "from mlkit import grading" in code_cells[0].source):
            problems.append("the first code cell must be the read-only 'setup' cell importing grading")
    for index, cell in enumerate(book.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"cell {index} has stored outputs: clear them before committing")
        if "solutions/" in cell.source:
            problems.append(f"cell {index} refers to solutions/, which students do not have")

    exercises = defaultdict(lambda: {"solutions": 0, "tests": 0, "visible": False, "hidden": False, "points": 0})
    announced = {int(number): int(points) for cell in book.cells if cell.cell_type == "markdown"
                 for number, points in re.findall(r"^## Exercise (\d+) \((\d+) points?\)", cell.source, re.M)}
    seen_solution = set()
    for index, cell in enumerate(book.cells):
        info, grade_id = nbgrader(cell), nbgrader(cell).get("grade_id", "")
        if info.get("solution"):
            match = re.fullmatch(r"ex(\d+)_\w+", grade_id)
            if not match:
                problems.append(f"cell {index}: solution cell id {grade_id!r} must look like 'ex1_simple_dense'")
                continue
            if info.get("grade"):
                problems.append(f"cell {index}: solution cells carry no points (the test cells do)")
            if "### BEGIN SOLUTION" not in cell.source or "### END SOLUTION" not in cell.source:
                problems.append(f"cell {index}: a solution cell needs ### BEGIN/END SOLUTION")
            exercises[int(match.group(1))]["solutions"] += 1
            seen_solution.add(int(match.group(1)))
        elif is_test(cell):
            match = re.fullmatch(r"ex(\d+)_test_\w+", grade_id)
            if not match:
                problems.append(f"cell {index}: test cell id {grade_id!r} must look like 'ex1_test_shapes'")
                continue
            number = int(match.group(1))
            if number not in seen_solution:
                problems.append(f"cell {index}: test cell {grade_id} comes before exercise {number}'s solution")
            if not info.get("points", 0) > 0 or not info.get("locked"):
                problems.append(f"cell {index}: test cell {grade_id} must be read-only and worth points")
            problems += [f"cell {index} ({grade_id}): {p}" for p in problems_of_test_cell(cell.source)]
            exercise = exercises[number]
            exercise["tests"] += 1
            exercise["points"] += info.get("points", 0)
            exercise["hidden"] |= bool(HIDDEN.search(cell.source))
            exercise["visible"] |= "grading.exercise(" in HIDDEN.sub("", cell.source)
    if not exercises:
        problems.append("the notebook has no graded exercise")
    if sorted(exercises) != list(range(1, len(exercises) + 1)):
        problems.append(f"exercises must be numbered 1, 2, ...: found {sorted(exercises)}")
    for number, exercise in sorted(exercises.items()):
        if exercise["tests"] < 2:
            problems.append(f"exercise {number} needs two or more test cells (partial credit)")
        if not exercise["visible"]:
            problems.append(f"exercise {number} needs visible checks (instant feedback)")
        if not exercise["hidden"]:
            problems.append(f"exercise {number} needs hidden tests")
        if announced.get(number) != exercise["points"]:
            problems.append(f"exercise {number}: its heading must read '## Exercise {number} ({exercise['points']} "
                            f"points): ...' (the sum of its test cells' points), found {announced.get(number)}")
    return problems


def release_notebook_problems(book):
    """Every way a student notebook leaks or lacks something."""
    problems = []
    if book.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("the kernel must be python3")
    for index, cell in enumerate(book.cells):
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            if marker in cell.source:
                problems.append(f"cell {index} still contains {marker}")
        if nbgrader(cell).get("solution") and "raise NotImplementedError()" not in cell.source:
            problems.append(f"cell {index}: a solution cell without its stub")
        if "solutions/" in cell.source:
            problems.append(f"cell {index} refers to solutions/, which students do not have")
    return problems


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_instructor_notebook_follows_the_conventions(path):
    assert source_notebook_problems(nbformat.read(path, as_version=4)) == []


@pytest.mark.parametrize("path", RELEASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_student_notebook_hides_solutions_and_hidden_tests(path):
    assert release_notebook_problems(nbformat.read(path, as_version=4)) == []


def test_there_is_a_student_notebook_for_every_instructor_notebook():
    assert SOURCES, "solutions/ has notebooks"
    assert [p.relative_to(ROOT / "solutions") for p in SOURCES] == [p.relative_to(ROOT / "course") for p in RELEASES]


# -- the rules can fail ----------------------------------------------------

@pytest.fixture
def template():
    return nbformat.read(ROOT / "solutions" / "01_the_layer" / "the_layer.ipynb", as_version=4)


def first(book, predicate):
    return next(cell for cell in book.cells if predicate(cell))


def break_assert(book):
    first(book, is_test).source += "\nassert SimpleDense(2).units == 2"


def break_top_level(book):
    first(book, is_test).source = "layer = SimpleDense(3)\n" + first(book, is_test).source


def break_hidden(book):
    for cell in book.cells:
        if is_test(cell) and nbgrader(cell)["grade_id"].startswith("ex2_"):
            cell.source = HIDDEN.sub("", cell.source)


def break_single_test(book):
    book.cells = [c for c in book.cells if nbgrader(c).get("grade_id") != "ex2_test_running_sum"]


def break_outputs(book):
    first(book, lambda c: c.cell_type == "code").outputs = [nbformat.v4.new_output("stream", text="hi")]


def break_setup(book):
    first(book, lambda c: c.cell_type == "code").metadata["nbgrader"]["locked"] = False


def break_numbering(book):
    for cell in book.cells:
        if nbgrader(cell).get("grade_id", "").startswith("ex2_"):
            cell.metadata.nbgrader["grade_id"] = cell.metadata.nbgrader["grade_id"].replace("ex2_", "ex3_")


def break_points(book):
    first(book, is_test).metadata.nbgrader["points"] = 5


def break_kernel(book):
    book.metadata.kernelspec["name"] = "mlkit"


@pytest.mark.parametrize("breaking, phrase", [
    (break_assert, "uses `assert`"),
    (break_top_level, "only imports and `with grading.exercise"),
    (break_hidden, "exercise 2 needs hidden tests"),
    (break_single_test, "exercise 2 needs two or more test cells"),
    (break_outputs, "has stored outputs"),
    (break_setup, "read-only 'setup' cell"),
    (break_numbering, "numbered 1, 2"),
    (break_kernel, "python3"),
    (break_points, "exercise 1: its heading must read '## Exercise 1 (9 points)"),
])
def test_a_broken_instructor_notebook_is_noticed(template, breaking, phrase):
    assert source_notebook_problems(template) == []
    broken = copy.deepcopy(template)
    breaking(broken)
    problems = source_notebook_problems(broken)
    assert any(phrase in problem for problem in problems), problems


def test_a_leaky_student_notebook_is_noticed():
    book = nbformat.read(ROOT / "solutions" / "00_welcome" / "welcome.ipynb", as_version=4)
    problems = release_notebook_problems(book)  # the instructor version, as if released by mistake
    assert any("BEGIN SOLUTION" in p for p in problems) and any("HIDDEN TESTS" in p for p in problems)
    assert any("without its stub" in p for p in problems)
