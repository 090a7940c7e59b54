"""The checks of notebooks 08 (standard layers) and 09 (the capstone) judged from their records alone.

Each case plays both sides in this process (the `both_sides` fixture): test cells
run in "probe" mode over a learner's cells (their records collected instead of
displayed), then the same test sources are judged from those records alone,
with the learner's names as placeholders. An honest answer passes there; a
wrong one fails with the explanation a learner reads in their own notebook; a
kernel that patched grading, NumPy or the held-out labels gains nothing.
"""

import pytest

from mlkit.grading import judge



def assert_judged_and_passed(results, unjudgeable):
    """Every test cell passed in the kernel and in the judge, except those `unjudgeable` (their
    own code needs the learner's objects: they keep the kernel's verdict)."""
    assert all(kernel_failure is None for kernel_failure, _ in results.values())
    assert {grade_id for grade_id, (_, verdict) in results.items() if verdict.unjudgeable} == set(unjudgeable)
    for grade_id, (_, verdict) in results.items():
        if grade_id not in unjudgeable:
            assert verdict.passed and not verdict.notes, (grade_id, verdict.lines, verdict.notes)


def wrong_answer(cells, mistakes, name):
    grade_id, changes, test_id, phrase = mistakes[name]
    return cells.changed(grade_id, changes), test_id, phrase


# -- notebook 08 ------------------------------------------------------------------------------

# (every test cell of 08 is judged: layers.RNN(MinimalRNNCell(2)) is built inside check_weights)
SANDBOX_ONLY_08 = set()


def test_every_test_cell_of_notebook_08_is_judged_and_passes_on_the_solution(both_sides, cells_08):
    learner = ["ex1_my_dropout", "ex2_my_batch_norm", "ex3_minimal_rnn_cell"]
    results = both_sides.run_and_judge(cells_08, learner, cells_08.tests("ex"))
    assert len(results) == 10
    assert_judged_and_passed(results, unjudgeable=SANDBOX_ONLY_08)


# Wrong answers of notebook 08: (solution cell, [(what, replaced by)], the test cell that fails, a phrase).
MISTAKES_08 = {
    "dropout active at inference": (
        "ex1_my_dropout", [("if not training", "if False")], "ex1_test_inference", "Dropout is active at inference"),
    "dropout not scaled": (
        "ex1_my_dropout", [(" / (1 - self.rate)", "")], "ex1_test_training", "the kept values are not scaled"),
    "dropout with the same seed on every call": (
        "ex1_my_dropout", [("seed=self.seed_generator", "seed=self.seed")], "ex1_test_seed_and_config",
        "the same mask twice"),
    "unbiased variance": (
        "ex2_my_batch_norm", [
            ("mean = ops.mean(inputs, axis=axes)",
             "n = int(np.prod([inputs.shape[a] for a in axes]))\n            mean = ops.mean(inputs, axis=axes)"),
            ("variance = ops.var(inputs, axis=axes)", "variance = ops.var(inputs, axis=axes) * n / (n - 1)")],
        "ex2_test_training", "the variance is the unbiased one"),
    "momentum the wrong way round": (
        "ex2_my_batch_norm", [("self.moving_mean * self.momentum + mean * (1 - self.momentum)",
                               "self.moving_mean * (1 - self.momentum) + mean * self.momentum")],
        "ex2_test_moving_statistics", "the momentum is applied the wrong way round"),
    "a frozen layer still updates": (
        "ex2_my_batch_norm", [("if training and self.trainable", "if training")], "ex2_test_frozen",
        "a frozen batch normalization runs in inference mode"),
    "a cell without bias": (
        "ex3_minimal_rnn_cell", [(" + self.bias", "")], "ex3_test_step", "the bias is not added"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES_08))
def test_a_wrong_answer_of_notebook_08_fails_with_the_explanation_of_local_mode(name, both_sides, cells_08):
    answers, test_id, phrase = wrong_answer(cells_08, MISTAKES_08, name)
    results = both_sides.run_and_judge(cells_08, list(answers), [test_id], answers=answers)
    kernel_failure, verdict = results[test_id]
    assert verdict.unjudgeable is None and not verdict.passed
    assert phrase in "\n".join(verdict.lines), verdict.lines
    local = both_sides.local_failure(cells_08.by_id[test_id])
    assert local is not None and both_sides.explanation(verdict) == local.lines()


@pytest.mark.parametrize("name", ["dropout not scaled", "momentum the wrong way round", "a cell without bias"])
def test_a_kernel_patching_grading_or_numpy_gains_nothing_in_notebook_08(name, cheat, both_sides, cells_08):
    answers, test_id, phrase = wrong_answer(cells_08, MISTAKES_08, name)
    (grade_id, source), = answers.items()
    answers[grade_id] = source + "\n" + cheat
    results = both_sides.run_and_judge(cells_08, [grade_id], [test_id], answers=answers)
    kernel_failure, verdict = results[test_id]
    assert verdict.unjudgeable is None and not verdict.passed  # whatever the kernel believed
    if "grading.exercise" in cheat:
        assert kernel_failure is None  # (the kernel passed, sending no exercise: its records fit nothing)
    else:
        assert phrase in "\n".join(verdict.lines)


def test_a_stub_of_notebook_08_says_not_done_yet(both_sides, cells_08):
    stub = ("class MinimalRNNCell(layers.Layer):\n"
            "    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n"
            "        self.state_size = units\n"
            "    def build(self, input_shape):\n        raise NotImplementedError()\n"
            "    def call(self, inputs, states):\n        raise NotImplementedError()\n")
    results = both_sides.run_and_judge(cells_08, ["ex3_minimal_rnn_cell"], ["ex3_test_step", "ex3_test_sequence"],
                                       answers={"ex3_minimal_rnn_cell": stub})
    for test_id in ("ex3_test_step", "ex3_test_sequence"):
        verdict = results[test_id][1]
        assert not verdict.passed and "Not done yet" in "\n".join(verdict.lines), (test_id, verdict.lines)


# -- notebook 09 ------------------------------------------------------------------------------

EXERCISES_09 = ["ex1_conv_block", "ex2_build_classifier", "ex3_fine_tune", "ex4_make_callbacks"]
# (every test cell of exercises 1 to 4 is judged: the parameters are counted by check_parameter_count)
SANDBOX_ONLY_09 = set()


def test_the_test_cells_of_exercises_1_to_4_of_notebook_09_are_judged_and_pass_on_the_solution(
        both_sides, cells_09):
    tests = [grade_id for prefix in ("ex1", "ex2", "ex3", "ex4") for grade_id in cells_09.tests(prefix)]
    results = both_sides.run_and_judge(cells_09, EXERCISES_09, tests)
    assert len(results) == 10
    assert_judged_and_passed(results, unjudgeable=SANDBOX_ONLY_09)


MISTAKES_09 = {
    "the ReLU before the normalization": (
        "ex1_conv_block", [("x = self.bn(x, training=training)\n        return self.activation(x)",
                            "x = self.activation(x)\n        return self.bn(x, training=training)")],
        "ex1_test_output", "the ReLU comes before the normalization"),
    "the training flag forced": (
        "ex1_conv_block", [("self.bn(x, training=training)", "self.bn(x, training=True)")], "ex1_test_output",
        "runs in training mode at inference"),
    "a missing layer": (
        "ex2_build_classifier", [("layers.Dropout(0.5),", "")], "ex2_test_layers", "Dropout is missing"),
    "the last layers frozen": (
        "ex3_fine_tune", [("model.layers[:n_frozen]", "model.layers[-n_frozen:]")], "ex3_test_frozen",
        "the LAST layers are frozen"),
    "no staircase": (
        "ex3_fine_tune", [("staircase=True", "staircase=False")], "ex3_test_schedule", "decays continuously"),
    "early stopping on the training loss": (
        "ex4_make_callbacks", [('EarlyStopping(monitor="val_loss"', 'EarlyStopping(monitor="loss"')],
        "ex4_test_settings", "watch the validation loss"),
    "a checkpoint outside the folder": (
        "ex4_make_callbacks", [('os.path.join(checkpoint_dir, "best.keras")', '"best.keras"')],
        "ex4_test_settings", "build the path from the function's argument"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES_09))
def test_a_wrong_answer_of_notebook_09_fails_with_the_explanation_of_local_mode(name, both_sides, cells_09):
    answers, test_id, phrase = wrong_answer(cells_09, MISTAKES_09, name)
    results = both_sides.run_and_judge(cells_09, EXERCISES_09, [test_id], answers=answers)
    kernel_failure, verdict = results[test_id]
    assert verdict.unjudgeable is None and not verdict.passed
    assert phrase in "\n".join(verdict.lines), verdict.lines
    assert both_sides.explanation(verdict) == kernel_failure.lines()
    local = both_sides.local_failure(cells_09.by_id[test_id])
    if "folder" not in name:  # (a failure naming a temporary folder names another one on each run)
        assert both_sides.explanation(verdict) == local.lines()


@pytest.mark.parametrize("name", ["no staircase", "a checkpoint outside the folder", "the ReLU before the normalization"])
def test_a_kernel_patching_grading_or_numpy_gains_nothing_in_notebook_09(name, cheat, both_sides, cells_09):
    answers, test_id, phrase = wrong_answer(cells_09, MISTAKES_09, name)
    (grade_id, source), = answers.items()
    answers[grade_id] = source + "\n" + cheat
    results = both_sides.run_and_judge(cells_09, EXERCISES_09, [test_id], answers=answers)
    kernel_failure, verdict = results[test_id]
    assert verdict.unjudgeable is None and not verdict.passed  # whatever the kernel believed
    if "grading.exercise" in cheat:
        assert kernel_failure is None  # (the kernel passed, sending no exercise: its records fit nothing)
    else:
        assert phrase in "\n".join(verdict.lines)


def test_exercise_6_is_judged_with_the_reload_and_the_accuracy_of_the_classifier(both_sides, cells_09):
    untrained = "classifier, histories = build_classifier(), []\n"
    results = both_sides.run_and_judge(cells_09, EXERCISES_09[:2] + ["ex6_save_and_reload", "untrained"],
                                       ["ex6_test_classifier"], answers={"untrained": untrained})
    kernel_failure, verdict = results["ex6_test_classifier"]
    assert verdict.unjudgeable is None
    assert verdict.lines[0] == "✓ the reloaded classifier predicts what the trained one predicts"
    assert "the accuracy of the classifier on the 359 held-out test digits" in "\n".join(verdict.lines)
    assert both_sides.explanation(verdict) == kernel_failure.lines()


# What ex6_test_file's own code did before its model was made inside check_reloaded.
MODEL_BUILT_IN_THE_TEST_CODE = """
import os
import tempfile

import mlkit
from mlkit import grading, layers
from mlkit.grading.capstone_checks import check_reloaded

with grading.exercise("save_and_reload writes the file and returns a new model"):
    with tempfile.TemporaryDirectory() as folder:
        small = mlkit.Sequential([mlkit.Input(shape=(8, 8, 1)), ConvBlock(2, 3), layers.Flatten(), layers.Dense(10)])
        small_path = os.path.join(folder, "small.keras")
        check_reloaded(small, save_and_reload(small, small_path), small_path, ConvBlock)
"""


def test_test_cells_whose_own_code_needs_the_learners_objects_keep_the_sandboxed_verdict(
        both_sides, cells_09):
    cells_09.by_id["model_built_in_the_test_code"] = MODEL_BUILT_IN_THE_TEST_CODE
    results = both_sides.run_and_judge(cells_09, EXERCISES_09[:1] + ["ex6_save_and_reload"],
                                       ["model_built_in_the_test_code"])
    kernel_failure, verdict = results["model_built_in_the_test_code"]
    assert kernel_failure is None
    assert verdict.unjudgeable and "placeholders" in verdict.unjudgeable  # a model built around ConvBlock


# -- the held-out digits: predictions leave the kernel, the labels are the grader's -----------

QUICK_CLASSIFIER = """
import mlkit
from mlkit import layers

mlkit.utils.set_random_seed(0)
(x_train, y_train), _ = mlkit.datasets.digits.load_data()
classifier = mlkit.Sequential([layers.Input(shape=(8, 8, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")])
classifier.compile(optimizer=mlkit.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
"""
TRAINING = """classifier.fit((x_train[..., None] / 16.0).astype("float32"), y_train, epochs=30, batch_size=64, verbose=0)
"""

ACCURACY_TEST = """
from mlkit import grading
from mlkit.grading.capstone_checks import check_held_out_accuracy, trained_object

with grading.exercise("the classifier gets at least 90% of the held-out test digits right"):
    check_held_out_accuracy(trained_object("classifier", "train_classifier"), minimum=0.9)
"""


def test_a_classifier_passes_on_its_predictions_alone(both_sides):
    records = both_sides.probe_records(QUICK_CLASSIFIER + TRAINING, ACCURACY_TEST)
    check = next(record for record in records if record.get("name") == "check_held_out_accuracy")
    assert len(check["values"]) == 3  # the class of the model, its predictions, and them again: no labels
    verdict = judge.judge_cell(ACCURACY_TEST, records)
    assert verdict.passed, verdict.lines


def test_an_untrained_classifier_fails_as_in_local_mode(both_sides):
    records = both_sides.probe_records(QUICK_CLASSIFIER, ACCURACY_TEST)
    verdict = judge.judge_cell(ACCURACY_TEST, records)
    assert not verdict.passed
    local = both_sides.local_failure(ACCURACY_TEST)
    assert both_sides.explanation(verdict) == local.lines()
    assert "the accuracy of the classifier on the 359 held-out test digits" in "\n".join(verdict.lines)


@pytest.mark.parametrize("kernel_patch", [
    # the labels the kernel reads made to agree with the model's predictions
    "import mlkit.grading.capstone_checks as capstone\n"
    "capstone.held_out_labels = lambda: classifier.predict(capstone.held_out_images(), verbose=0).argmax(-1)\n",
    "import numpy as np\nnp.mean = lambda *a, **k: 1.0\n",
])
def test_the_labels_and_the_accuracy_are_the_graders_not_the_kernels(kernel_patch, both_sides):
    records = both_sides.probe_records(QUICK_CLASSIFIER + kernel_patch, ACCURACY_TEST)
    assert [record["failure"] for record in records if record["kind"] == "end"] == [None]  # the kernel passed
    verdict = judge.judge_cell(ACCURACY_TEST, records)
    assert not verdict.passed
    assert "the accuracy of the classifier" in "\n".join(verdict.lines)


def test_a_missing_trained_classifier_says_not_done_yet(notebook, both_sides):
    stub = ("def train_classifier(images, labels, checkpoint_dir):\n    raise NotImplementedError()\n\n"
            "classifier, histories = train_classifier(None, None, None)\n")
    with pytest.raises(NotImplementedError):
        notebook.run(stub)
    records = both_sides.probe_records("", ACCURACY_TEST)
    verdict = judge.judge_cell(ACCURACY_TEST, records)
    assert not verdict.passed and "Not done yet: `train_classifier`" in "\n".join(verdict.lines)
