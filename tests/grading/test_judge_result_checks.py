"""Test cells of notebooks 04 and 05 whose own code needed the learner's objects, judged now.

Each of these cells builds a model around the learner's class, trains it, or
compares two of its results; that work now runs inside a check
(mlkit.grading.result_checks), so the trusted grader judges the cell from its
records alone. Each test plays both sides in this process (the `both_sides`
fixture): the notebook's setup and answer cells run as the learner's, a test
cell runs in "probe" mode, then the same test source is judged from the
records with the learner's names as placeholders.
"""

import numpy as np
import pytest

from mlkit.grading import GradingFailure, judge
from mlkit.grading.result_checks import check_result, check_result_close, check_result_equal, check_results_close

LOSSES = "04_losses_and_regularization/losses_and_regularization.ipynb"
MODELS = "05_models_and_training/models_and_training.ipynb"

CELLS = {
    "04 ex1_test_training": (LOSSES, "ex1_test_training"),
    "04 ex2_test_in_a_model": (LOSSES, "ex2_test_in_a_model"),
    "04 ex3_test_losses": (LOSSES, "ex3_test_losses"),
    "04 ex3_test_training": (LOSSES, "ex3_test_training"),
    "05 ex1_test_model": (MODELS, "ex1_test_model"),
    "05 ex2_test_layers": (MODELS, "ex2_test_layers"),
    "05 ex2_test_dropout": (MODELS, "ex2_test_dropout"),
    "05 ex2_test_fit": (MODELS, "ex2_test_fit"),
}


@pytest.fixture(scope="module")
def notebooks(solution_cells):
    """{notebook: its Cells}."""
    return {LOSSES: solution_cells(LOSSES), MODELS: solution_cells(MODELS)}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_instructors_answers_pass_on_their_records_alone(name, both_sides, notebooks):
    path, grade_id = CELLS[name]
    cells = notebooks[path]
    assert not judge.unjudged_checks(cells.by_id[grade_id])
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids(), [grade_id])[grade_id]
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert verdict.passed, verdict.lines
    assert verdict.lines == both_sides.local_lines(cells.by_id[grade_id])


CUSTOM_LOSS, PENALTY, DENSE = "ex1_custom_loss", "ex2_sparsity_penalty", "ex3_regularized_dense"
MULTI_INPUT, CLASSIFIER = "ex1_multi_input_layer", "ex2_digit_classifier"

# name: (notebook, the test cell, the answer changed, [(what, replaced by)], a phrase of the explanation)
MISTAKES = {
    "CustomLoss in NumPy": (LOSSES, "ex1_test_training", CUSTOM_LOSS, [(
        "ops.mean(ops.square(y_true - y_pred), axis=-1)", "np.mean(np.square(np.asarray(y_true) - np.asarray(y_pred)), axis=-1)"),
        ("ops.sum(ops.abs(y_pred), axis=-1)", "np.sum(np.abs(np.asarray(y_pred)), axis=-1)")], "compute call with ops"),
    "CustomLoss without its factor in the config": (LOSSES, "ex1_test_training", CUSTOM_LOSS, [(
        '"regularization_factor": self.regularization_factor', '"unused": 0')], None),
    "SparsityPenalty without its rate": (LOSSES, "ex2_test_in_a_model", PENALTY, [(
        "self.rate * ", "")], "model.evaluate(x, x)"),
    "penalty added in call": (LOSSES, "ex3_test_losses", DENSE, [(
        "regularizer=self.kernel_regularizer", "regularizer=None"), (
        "    def call(self, inputs):\n",
        "    def call(self, inputs):\n"
        "        if self.kernel_regularizer is not None:\n"
        "            self.add_loss(self.kernel_regularizer(self.kernel))\n")], "computed when call ran"),
    "regularizer never handed to add_weight": (LOSSES, "ex3_test_training", DENSE, [(
        "regularizer=self.kernel_regularizer", "regularizer=None")], "the penalty is missing from the loss"),
    "projections added": (MODELS, "ex1_test_model", MULTI_INPUT, [(
        "ops.concatenate([ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)], axis=-1)",
        "ops.matmul(input1, self.kernel1) + ops.matmul(input2, self.kernel2)")], "2 * units features"),
    "no softmax": (MODELS, "ex2_test_layers", CLASSIFIER, [(
        ', activation="softmax"', "")], "activation='softmax'"),
    "dropout_rate ignored": (MODELS, "ex2_test_dropout", CLASSIFIER, [(
        "layers.Dropout(dropout_rate)", "layers.Dropout(0.5)")], "layers.Dropout(dropout_rate)"),
    "no softmax, then trained": (MODELS, "ex2_test_fit", CLASSIFIER, [(
        ', activation="softmax"', "")], None),
}


def without_values(lines):
    """The explanation without its numbers (Dropout draws other units in another run)."""
    return [line for line in lines if not line.startswith(("  Expected:", "  Got:"))]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_wrong_answer_fails_with_the_explanation_the_learner_reads(name, both_sides, notebooks):
    path, test, grade_id, changes, phrase = MISTAKES[name]
    cells = notebooks[path]
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids(), [test], cells.changed(grade_id, changes))[test]
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert not verdict.passed
    assert without_values(verdict.lines) == without_values(both_sides.local_lines(cells.by_id[test]))
    assert phrase is None or phrase in "\n".join(verdict.lines)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_kernel_that_patches_grading_or_numpy_does_not_pass(name, cheat, both_sides, notebooks):
    path, test, grade_id, changes, _ = MISTAKES[name]
    cells = notebooks[path]
    answers = {**cells.changed(grade_id, changes), "cheat": cheat}
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids() + ["cheat"], [test], answers)[test]
    assert not verdict.passed


def test_the_value_judged_is_the_reported_one_and_the_condition_is_the_tests():
    source = ("from mlkit import grading\nfrom mlkit.grading.result_checks import check_result\n"
              "with grading.exercise('loss'):\n"
              "    check_result(lambda: learner_losses(), lambda losses: losses[-1] < 0.5 * losses[0], 'the loss',\n"
              "                 expected='it halves', got=lambda losses: f'from {losses[0]} to {losses[-1]}')\n")
    exercise = {"kind": "exercise", "title": "loss"}

    def records(values, error=None):
        return [exercise, {"kind": "check", "name": "check_result", "values": values, "error": error}, {"kind": "end", "title": "loss", "failure": None}]

    assert judge.judge_cell(source, records([{"tuple": [[2.0, 0.5], None]}])).passed
    failed = judge.judge_cell(source, records([{"tuple": [[2.0, 1.5], None]}]))
    assert not failed.passed and failed.unjudgeable is None and "  Got:      from 2.0 to 1.5" in failed.lines
    for forged in ([{"opaque": "a Liar"}], ["yes"], [{"tuple": [{"opaque": "a Liar"}, None]}], []):
        verdict = judge.judge_cell(source, records(forged))
        assert not verdict.passed and verdict.unjudgeable is None


def test_the_general_checks_judge_plain_values_locally():
    check_result_equal(lambda: 3, 3, "three")
    check_result_close(lambda: np.ones(2) / 3, np.full(2, 1 / 3), "thirds")
    check_results_close(lambda: (np.ones(2), np.ones(2)), "the same")
    with pytest.raises(GradingFailure, match="the bias"):
        check_result_equal(lambda: 2, 1, "len(losses)", mistakes={"the bias": 2})
    with pytest.raises(GradingFailure):
        check_results_close(lambda: (np.ones(2), np.zeros(2)), "the same")
    with pytest.raises(GradingFailure) as failure:
        check_result(lambda: (_ for _ in ()).throw(ValueError("no gradient")), lambda v: True, "the loss",
                     errors=(ValueError,), error_checked="training", error_hint="use ops")
    assert failure.value.got == "ValueError: no gradient" and failure.value.hint == "use ops"
    with pytest.raises(GradingFailure):
        check_result(lambda: "text", lambda value: value < 0.05, "the loss")


def test_the_checks_module_examples_run():
    import doctest

    import mlkit.grading.result_checks as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
