"""Notebooks 00–04 judged by the trusted grader, as at autograde: every test cell of the
instructor's solutions passes on its records alone (none left to the sandbox), and wrong
answers caught by the newer checks (starting values, floor division, the package name, a
penalty for 2-D inputs only) fail there with the same hint. Each case plays both sides in this
process (the `both_sides` fixture).
"""

from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
NOTEBOOKS = {name: str(next(SOLUTIONS.glob(f"{name}*/*.ipynb")).relative_to(SOLUTIONS))
             for name in ["00", "01", "02", "03", "04"]}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_every_test_cell_of_the_solutions_is_judged_and_passes(name, both_sides, solution_cells):
    cells = solution_cells(NOTEBOOKS[name])
    results = both_sides.run_and_judge(cells, cells.learner_ids(), cells.tests())
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
def test_a_wrong_answer_fails_in_the_judge_with_its_hint(case, both_sides, solution_cells):
    name, grade_id, changes, test_id, phrase = WRONG[case]
    cells = solution_cells(NOTEBOOKS[name])
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids(), [test_id], cells.changed(grade_id, changes))[test_id]
    assert verdict.unjudgeable is None
    assert not verdict.passed
    assert phrase in "\n".join(verdict.lines), verdict.lines
