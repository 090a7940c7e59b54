"""Test cells of notebooks 08 and 09 whose own code used to need the learner's objects, judged now.

`layers.RNN(MinimalRNNCell(2))` (08 ex3_test_weights) and the small model around `ConvBlock`
(09 ex6_test_file) are made inside their checks; the non-trainable parameters (09
ex2_test_parameters) and the two histories (09 ex5_test_fine_tuned) are counted and read by
checks; what `fine_tune` returned (09 ex3_test_frozen) is described by the kernel, so a failure
names the learner's value, not the grader's placeholder. Each case plays both sides in this
process (the `both_sides` fixture).
"""

import pytest

EXERCISES_09 = ["ex1_conv_block", "ex2_build_classifier", "ex3_fine_tune", "ex4_make_callbacks"]

FORMERLY_SANDBOX_ONLY = {"08": ["ex3_test_weights"],
                         "09": ["ex2_test_layers", "ex2_test_parameters", "ex3_test_frozen", "ex5_test_fine_tuned",
                                "ex6_test_file"]}


def judged_wrong(both_sides, cells, learner, answers, test_id):
    """Run `test_id` over `answers` (in probe mode, then judged); return (the kernel's failure, the verdict)."""
    kernel_failure, verdict = both_sides.run_and_judge(cells, learner, [test_id], answers=answers)[test_id]
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert not verdict.passed
    return kernel_failure, verdict


# -- 08: layers.RNN around the cell, made inside check_weights --------------------------------------

RNN_WEIGHTS_TEST = '''
from mlkit import grading, layers

with grading.exercise("layers.RNN builds MinimalRNNCell's weights on the first call"):
    grading.check_weights(lambda: layers.RNN(MinimalRNNCell(2)), input_shape=(3, 4, 6),
                          expected=[("kernel", (6, 2), True), ("recurrent_kernel", (2, 2), True), ("bias", (2,), True)])
'''


def test_the_weights_of_the_cell_in_an_rnn_are_judged_and_a_missing_bias_explained(both_sides, cells_08):
    assert RNN_WEIGHTS_TEST.split("\n", 3)[3] in cells_08.by_id["ex3_test_weights"]  # the hidden exercise's text
    cells_08.by_id["rnn_weights"] = RNN_WEIGHTS_TEST
    answers = cells_08.changed("ex3_minimal_rnn_cell", [(
        '        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")\n', ""), (
        " + self.bias", "")])
    kernel_failure, verdict = judged_wrong(both_sides, cells_08, list(answers), answers, "rnn_weights")
    assert "the bias is missing" in "\n".join(verdict.lines)
    local = both_sides.local_failure(RNN_WEIGHTS_TEST)
    assert both_sides.explanation(verdict) == kernel_failure.lines() == local.lines()


def test_every_test_cell_of_notebook_08_is_judged_on_the_solution(both_sides, cells_08):
    learner = ["ex1_my_dropout", "ex2_my_batch_norm", "ex3_minimal_rnn_cell"]
    results = both_sides.run_and_judge(cells_08, learner, FORMERLY_SANDBOX_ONLY["08"])
    for grade_id, (kernel_failure, verdict) in results.items():
        assert kernel_failure is None and verdict.unjudgeable is None and verdict.passed, (grade_id, verdict.lines)


# -- 09 -------------------------------------------------------------------------------------------

def test_the_formerly_sandboxed_cells_of_exercises_2_3_and_6_are_judged_on_the_solution(
        both_sides, cells_09):
    tests = ["ex2_test_layers", "ex2_test_parameters", "ex3_test_frozen", "ex6_test_file"]
    results = both_sides.run_and_judge(cells_09, EXERCISES_09 + ["ex6_save_and_reload"], tests)
    for grade_id, (kernel_failure, verdict) in results.items():
        assert kernel_failure is None and verdict.unjudgeable is None and verdict.passed, (grade_id, verdict.lines)
        assert not verdict.notes


def test_what_fine_tune_returned_is_named_by_the_judge(both_sides, cells_09):
    answers = cells_09.changed("ex3_fine_tune", [("    return model\n", "")])
    kernel_failure, verdict = judged_wrong(both_sides, cells_09, EXERCISES_09, answers, "ex3_test_frozen")
    assert "Got:      None" in "\n".join(verdict.lines), verdict.lines
    assert "student" not in "\n".join(verdict.lines)
    local = both_sides.local_failure(cells_09.by_id["ex3_test_frozen"])
    assert both_sides.explanation(verdict) == kernel_failure.lines() == local.lines()


PARAMETERS_TEST = '''
from mlkit import grading
from mlkit.grading.capstone_checks import check_parameter_count

with grading.exercise("build_classifier's non-trainable parameters are the moving statistics"):
    check_parameter_count(build_classifier().non_trainable_weights, 192,
                          "the number of non-trainable parameters of build_classifier()")
'''


def test_the_non_trainable_parameters_are_counted_in_the_kernel_and_judged(both_sides, cells_09):
    assert PARAMETERS_TEST.split("\n", 4)[4] in cells_09.by_id["ex2_test_parameters"]
    cells_09.by_id["parameters"] = PARAMETERS_TEST
    answers = {"ex2_build_classifier": "def build_classifier():\n"
                                       "    return mlkit.Sequential([layers.Input(shape=(8, 8, 1)), ConvBlock(32, 3)])\n"}
    kernel_failure, verdict = judged_wrong(both_sides, cells_09, ["ex1_conv_block"] + list(answers),
                                           answers, "parameters")
    assert "Got:      64" in "\n".join(verdict.lines) and "Expected: 192" in "\n".join(verdict.lines), verdict.lines
    local = both_sides.local_failure(PARAMETERS_TEST)
    assert both_sides.explanation(verdict) == kernel_failure.lines() == local.lines()


HISTORIES_TEST = '''
from mlkit import grading
from mlkit.grading.capstone_checks import check_histories, trained_object

with grading.exercise("train_classifier returns the two histories, pretraining then fine-tuning"):
    check_histories(trained_object("histories", "train_classifier"), pretraining_epochs=8, fine_tuning_epochs=10)
'''
HISTORY = ("class History:\n    def __init__(self, epochs, keys):\n"
           "        self.history = {key: [1.0] * epochs for key in keys}\n\n")


@pytest.mark.parametrize("histories, phrases", [
    ("(History(8, ['loss']), History(3, ['loss', 'val_loss']))", None),
    ("(History(5, ['loss']), History(3, ['loss', 'val_loss']))",
     ["Checked:  the number of pretraining epochs", "Got:      5", "pretrain for epochs=8."]),
    ("(History(8, ['loss']), History(12, ['loss']))", ["Got:      12 epochs, keys ['loss']"]),
    ("[History(8, ['loss'])]", ["ValueError"]),
])
def test_the_histories_are_read_in_the_kernel_and_judged(histories, phrases, both_sides, cells_09):
    assert HISTORIES_TEST.split("\n", 4)[4] in cells_09.by_id["ex5_test_fine_tuned"]
    cells_09.by_id["histories"] = HISTORIES_TEST
    answers = {"learner": HISTORY + f"histories = {histories}\n"}
    kernel_failure, verdict = both_sides.run_and_judge(cells_09, ["learner"], ["histories"], answers)["histories"]
    assert verdict.unjudgeable is None
    if phrases is None:
        assert kernel_failure is None and verdict.passed, verdict.lines
        return
    assert not verdict.passed
    for phrase in phrases:
        assert phrase in "\n".join(verdict.lines), verdict.lines
    local = both_sides.local_failure(HISTORIES_TEST)
    assert both_sides.explanation(verdict) == kernel_failure.lines() == local.lines()


RETURNS_THE_MODEL = [("    model.save(path)\n    return mlkit.saving.load_model", "    model.save(path)\n    "
                      "mlkit.saving.load_model"), ("compile=False)\n", "compile=False)\n    return model\n")]


def test_a_save_and_reload_returning_its_argument_fails_when_judged(both_sides, cells_09):
    answers = cells_09.changed("ex6_save_and_reload", RETURNS_THE_MODEL)
    kernel_failure, verdict = judged_wrong(both_sides, cells_09, ["ex1_conv_block", "ex6_save_and_reload"],
                                           answers, "ex6_test_file")
    assert "the model it was given" in "\n".join(verdict.lines)
    local = both_sides.local_failure(cells_09.by_id["ex6_test_file"])
    assert both_sides.explanation(verdict) == kernel_failure.lines() == local.lines()


def test_a_kernel_patching_grading_or_numpy_gains_nothing_in_ex6_test_file(cheat, both_sides, cells_09):
    answers = cells_09.changed("ex6_save_and_reload", RETURNS_THE_MODEL)
    answers["ex6_save_and_reload"] += "\n" + cheat
    kernel_failure, verdict = judged_wrong(both_sides, cells_09, ["ex1_conv_block", "ex6_save_and_reload"],
                                           answers, "ex6_test_file")
    if "grading.exercise" in cheat:
        assert kernel_failure is None  # (the kernel passed, sending no exercise: its records fit nothing)
    else:
        assert "the model it was given" in "\n".join(verdict.lines)


FIT_TEST = '''
import numpy as np
from mlkit import grading
from mlkit.grading.capstone_checks import check_fit_trains_the_head, fine_tuning_candidate

with grading.exercise("after fine_tune, fit() trains the head only"):
    candidate = fine_tuning_candidate()
    fine_tune(candidate, n_frozen=3, initial_learning_rate=0.01)
    rng = np.random.default_rng(0)
    check_fit_trains_the_head(candidate, 3, rng.random((16, 8, 8, 1)).astype("float32"),
                              np.eye(10, dtype="float32")[rng.integers(0, 10, 16)])
'''
NOTHING_FROZEN = [("        layer.trainable = False\n", "        pass\n")]
ALL_FROZEN = [("model.layers[:n_frozen]", "model.layers")]
PATCHED_ARRAY_EQUAL = "\nimport numpy as np\nnp.array_equal = lambda *a, **k: True\n"


@pytest.mark.parametrize("changes, kernel_patch, phrase", [
    ([], "", None),
    (NOTHING_FROZEN, "", "the weights of the frozen layers after fit()"),
    (ALL_FROZEN, "", "the weights of the head after fit()"),
    (NOTHING_FROZEN, PATCHED_ARRAY_EQUAL, "the weights of the frozen layers after fit()"),
])
def test_fit_after_fine_tune_is_judged_on_the_weights_it_moved(changes, kernel_patch, phrase, both_sides,
                                                                cells_09):
    assert FIT_TEST.split("\n", 6)[6] in cells_09.by_id["ex3_test_frozen"]
    cells_09.by_id["fit_after_fine_tune"] = FIT_TEST
    answers = cells_09.changed("ex3_fine_tune", changes)
    answers["ex3_fine_tune"] += kernel_patch
    kernel_failure, verdict = both_sides.run_and_judge(cells_09, EXERCISES_09, ["fit_after_fine_tune"],
                                                       answers=answers)["fit_after_fine_tune"]
    assert verdict.unjudgeable is None
    if phrase is None:
        assert kernel_failure is None and verdict.passed and not verdict.notes, verdict.lines
        return
    assert not verdict.passed and phrase in "\n".join(verdict.lines), verdict.lines
    if kernel_patch:
        # the kernel believed its patched np.array_equal (frozen weights "unchanged"); the judge did not
        assert phrase not in "\n".join(kernel_failure.lines())
    else:
        local = both_sides.local_failure(FIT_TEST)
        assert both_sides.explanation(verdict) == kernel_failure.lines() == local.lines()
