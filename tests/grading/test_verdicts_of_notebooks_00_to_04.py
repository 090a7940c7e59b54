"""Notebooks 00–04 judged by the trusted grader, as at autograde: every test cell of the
instructor's solutions passes on its records alone (none left to the sandbox), and wrong
answers caught by the newer checks (starting values, floor division, the package name, a
penalty for 2-D inputs only) fail there with the same hint. Each case plays both sides in this
process, as test_judge_standard_layers_capstone.py does.
"""

import importlib.util
from pathlib import Path

import pytest


def _sibling(name):
    spec = importlib.util.spec_from_file_location(f"_shared_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_base = _sibling("test_judge_standard_layers_capstone")
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {n: next((ROOT / "solutions").glob(f"{n}*/*.ipynb")) for n in ["00", "01", "02", "03", "04"]}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_every_test_cell_of_the_solutions_is_judged_and_passes(name, notebook, monkeypatch):
    cells = _base.Cells(NOTEBOOKS[name])
    learner = [g for g in cells.by_id if g and "_test_" not in g and g != "setup"]
    tests = [g for g in cells.by_id if g and "_test_" in g]
    results = _base.run_and_judge(notebook, cells, learner, tests, monkeypatch)
    for grade_id, (kernel_failure, verdict) in results.items():
        assert kernel_failure is None, (grade_id, str(kernel_failure))
        assert verdict.passed and not verdict.notes and not verdict.unjudgeable, (grade_id, verdict.lines, verdict.unjudgeable)


WRONG = {
    "01 kernel zeros": ("01", "ex1_simple_dense", [('initializer="glorot_uniform"', 'initializer="zeros"')], "ex1_test_weights", "A constant kernel"),
    "03 floor": ("03", "ex2_from_config", [("1.0 / config.pop", "1 // config.pop")], "ex2_test_old_configs", "floor division"),
    "03 package": ("03", "ex3_standardize", [('package="course"', 'package="Custom"')], "ex3_test_saving", "default package"),
    "04 penalty 2d": ("04", "ex2_sparsity_penalty", [("ops.sum(ops.abs(inputs)) / inputs.shape[0]", "ops.mean(ops.sum(ops.abs(inputs), axis=1))")], "ex2_test_value", "only for inputs with two axes"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_wrong_answer_fails_in_the_judge_with_its_hint(case, notebook, monkeypatch):
    name, grade_id, changes, test_id, phrase = WRONG[case]
    cells = _base.Cells(NOTEBOOKS[name])
    learner = [g for g in cells.by_id if g and "_test_" not in g and g != "setup"]
    answers = {grade_id: _base.with_changes(cells.by_id[grade_id], changes)}
    kernel_failure, verdict = _base.run_and_judge(notebook, cells, learner, [test_id], monkeypatch, answers=answers)[test_id]
    assert verdict.unjudgeable is None
    assert not verdict.passed
    assert phrase in "\n".join(verdict.lines), verdict.lines
