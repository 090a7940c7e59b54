"""Hidden tests use other values, never other kinds of check.

A learner whose visible checks all pass should not meet a new *kind* of
failure at autograde: for every exercise, each kind of check that a hidden
test block makes also appears in a visible part of that exercise's test
cells (on other data). A kind is the `grading.check_*` function called,
and, for checks that feed a layer, whether its input has more than two
axes: a layer written for 2-D inputs only (`input_shape[1]`) must fail a
visible check, not just a hidden one.
"""

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
NOTEBOOKS = sorted(SOLUTIONS.glob("*/*.ipynb"))
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
# Calls whose first argument, or `size=`/`shape=`, is the shape of a made-up input.
SHAPED_CALLS = {"ones", "zeros", "normal", "uniform", "random", "full"}


def _length_of_tuple(node):
    return len(node.elts) if isinstance(node, ast.Tuple) else None


def _input_axes(call):
    """How many axes the input given to a layer check has, when the source says so."""
    for keyword in call.keywords:
        if keyword.arg == "input_shape":
            return _length_of_tuple(keyword.value)
        if keyword.arg == "inputs":
            axes = []
            for node in ast.walk(keyword.value):
                if isinstance(node, ast.keyword) and node.arg in ("size", "shape"):
                    axes.append(_length_of_tuple(node.value))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                    if node.func.attr == "reshape":
                        axes.append(_length_of_tuple(node.args[0]) or len(node.args))
                    elif node.func.attr in SHAPED_CALLS:
                        axes.append(_length_of_tuple(node.args[0]))
            known = [count for count in axes if count]
            return known[-1] if known else None
    return None


def check_kinds(source):
    """The kinds of `grading.check_*` call made by a piece of test code."""
    kinds = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "grading"
                and node.func.attr.startswith("check")):
            axes = _input_axes(node)
            kinds.add(node.func.attr + (" on inputs with 3+ axes" if axes and axes > 2 else ""))
    return kinds


def kinds_by_exercise(path):
    """{exercise: (visible kinds, hidden kinds)} over the notebook's graded test cells."""
    visible, hidden = defaultdict(set), defaultdict(set)
    for cell in json.loads(path.read_text())["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if not nbgrader.get("grade") or cell["cell_type"] != "code":
            continue
        exercise = nbgrader["grade_id"].split("_")[0]
        source = "".join(cell["source"])
        visible[exercise] |= check_kinds(HIDDEN_BLOCK.sub("", source))
        for block in HIDDEN_BLOCK.findall(source):
            hidden[exercise] |= check_kinds(block)
    return {exercise: (visible[exercise], hidden[exercise]) for exercise in hidden}


def test_check_kinds_reads_the_checks_and_the_input_axes():
    source = ("grading.check_layer_output(lambda: L(2), inputs=np.ones((2, 5, 3)), expected=f)\n"
              "grading.check_weights(L(2), input_shape=(2, 3), expected=[])\n"
              "helper.check_equal(1, 1, 'not the grading module')\n")
    assert check_kinds(source) == {"check_layer_output on inputs with 3+ axes", "check_weights"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.parent.name)
def test_every_hidden_kind_of_check_has_a_visible_sibling(path):
    surprises = {exercise: sorted(hidden - visible)
                 for exercise, (visible, hidden) in kinds_by_exercise(path).items() if hidden - visible}
    assert not surprises, (
        f"{path.name}: hidden tests make kinds of check that no visible check of the same exercise makes "
        f"(add a visible one on other data): {surprises}")
