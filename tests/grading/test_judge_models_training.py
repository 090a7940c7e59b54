"""Notebooks 05 (models and training) and 07 (the training step in a layer), judged outside the kernel.

Each test plays both sides in this process (the `both_sides` fixture): the
notebook's setup and answer cells run as the learner's, a test cell runs in
"probe" mode (its records collected instead of displayed), then the same
test source is judged from those records alone, the learner's names bound
to placeholders. A wrong answer fails there with the very explanation the
learner reads in their own notebook, and a kernel that patches the grading
tools or NumPy gains nothing.
"""

import pytest

MODELS = "05_models_and_training/models_and_training.ipynb"
TRAINING_STEP = "07_training_step_in_a_layer/training_step_in_a_layer.ipynb"

# The subclassed-model checks on their own, added to notebook 05 as a test cell of its own (the
# notebook's cells that use them are judged whole in tests/grading/test_judge_result_checks.py).
CLASSIFIER_CHECKS = "ex2_test_subclassed_model_checks"
CLASSIFIER_TEST = """
import numpy as np
from mlkit import grading
from mlkit.grading.model_checks import check_dropout_follows_training, check_layers_created_once

with grading.exercise("DigitClassifier keeps its layers from call to call"):
    digits = np.random.default_rng(0).random((5, 64)).astype("float32")
    check_layers_created_once(lambda: DigitClassifier(hidden_units=8), digits)
with grading.exercise("DigitClassifier drops units only while training"):
    check_dropout_follows_training(lambda: DigitClassifier(dropout_rate=0.5), digits)
"""

# (notebook, test cell) of every test that uses only judged checks.
JUDGED_TESTS = {
    "05 ex1_test_weights": (MODELS, "ex1_test_weights"),
    "05 ex1_test_output": (MODELS, "ex1_test_output"),
    "05 DigitClassifier": (MODELS, CLASSIFIER_CHECKS),
    "05 ex3_test_update": (MODELS, "ex3_test_update"),
    "05 ex3_test_metrics": (MODELS, "ex3_test_metrics"),
    "05 ex4_test_log1pexp": (MODELS, "ex4_test_log1pexp"),
    "05 ex4_test_clip_gradient": (MODELS, "ex4_test_clip_gradient"),
    "07 ex1_test_schedule": (TRAINING_STEP, "ex1_test_schedule"),
    "07 ex1_test_two_calls": (TRAINING_STEP, "ex1_test_two_calls"),
    "07 ex1_test_inference": (TRAINING_STEP, "ex1_test_inference"),
    "07 ex1_test_config": (TRAINING_STEP, "ex1_test_config"),
    "07 ex2_test_fit": (TRAINING_STEP, "ex2_test_fit"),
    "07 ex2_test_reads_optimizer": (TRAINING_STEP, "ex2_test_reads_optimizer"),
}


@pytest.fixture(scope="module")
def notebooks(solution_cells):
    """{notebook: its Cells}, notebook 05 with the subclassed-model checks as a test cell."""
    models = solution_cells(MODELS)
    models.by_id[CLASSIFIER_CHECKS] = CLASSIFIER_TEST
    return {MODELS: models, TRAINING_STEP: solution_cells(TRAINING_STEP)}


@pytest.mark.parametrize("name", sorted(JUDGED_TESTS))
def test_the_instructors_answers_pass_on_their_records_alone(name, both_sides, notebooks):
    path, test = JUDGED_TESTS[name]
    cells = notebooks[path]
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids(), [test])[test]
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert verdict.passed, verdict.lines
    assert verdict.lines == both_sides.local_lines(cells.by_id[test])


# name: (notebook, the test, the answer changed, [(what, replaced by)]): one wrong answer caught by each
# converted check.
MULTI_INPUT = "ex1_multi_input_layer"
CLASSIFIER = "ex2_digit_classifier"
REGRESSOR = "ex3_custom_regressor"
GRADIENTS = "ex4_custom_gradients"
ANNEALED = "ex1_annealed_penalty"
BOUND = "ex2_optimizer_bound_penalty"
CONCATENATED = "[ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)]"


def own_counter(advanced_in_training_only=True):
    """The changes that make AnnealedActivityPenalty count its own calls instead of reading training_step."""
    advance = "        self.step_counter += 1\n"
    if advanced_in_training_only:
        advance = "        if training:\n    " + advance
    return [("self.rate = rate\n", "self.rate = rate\n        self.step_counter = 0\n"),
            ("    def call(self, inputs):\n", "    def call(self, inputs, training=False):\n"),
            ("        weight = min(1.0, self.training_step / self.anneal_steps)\n",
             "        weight = min(1.0, self.step_counter / self.anneal_steps)\n" + advance)]


MISTAKES = {
    "kernel2 created first": (MODELS, "ex1_test_weights", MULTI_INPUT, [(
        "        self.kernel1 = self.add_weight(\n"
        '            shape=(shape1[-1], self.units), initializer="glorot_uniform", trainable=True, name="kernel1"\n'
        "        )\n", ""), (
        "        ### END SOLUTION\n\n    def call",
        "        self.kernel1 = self.add_weight(shape=(shape1[-1], self.units), name='kernel1')\n"
        "        ### END SOLUTION\n\n    def call")]),
    "kernels sized from the other input": (MODELS, "ex1_test_weights", MULTI_INPUT, [
        ("shape=(shape1[-1]", "shape=(SHAPE"), ("shape=(shape2[-1]", "shape=(shape1[-1]"),
        ("shape=(SHAPE", "shape=(shape2[-1]")]),
    "halves in the wrong order": (MODELS, "ex1_test_output", MULTI_INPUT, [(
        CONCATENATED, "[ops.matmul(input2, self.kernel2), ops.matmul(input1, self.kernel1)]")]),
    "NumPy in call": (MODELS, "ex1_test_output", MULTI_INPUT, [(
        f"ops.concatenate({CONCATENATED}, axis=-1)",
        "np.concatenate([input1.numpy() @ self.kernel1.numpy(), input2.numpy() @ self.kernel2.numpy()], axis=-1)")]),
    "layers created in call": (MODELS, CLASSIFIER_CHECKS, CLASSIFIER, [(
        '        self.hidden = layers.Dense(hidden_units, activation="relu")\n'
        "        self.dropout = layers.Dropout(dropout_rate)\n"
        '        self.classifier = layers.Dense(num_classes, activation="softmax")\n', ""), (
        "        x = self.hidden(inputs)\n",
        "        self.hidden = layers.Dense(self.hidden_units, activation='relu')\n"
        "        self.dropout = layers.Dropout(self.dropout_rate)\n"
        "        self.classifier = layers.Dense(self.num_classes, activation='softmax')\n"
        "        x = self.hidden(inputs)\n")]),
    "dropout forced on": (MODELS, CLASSIFIER_CHECKS, CLASSIFIER, [("training=training)", "training=True)")]),
    "dropout forced off": (MODELS, CLASSIFIER_CHECKS, CLASSIFIER, [("training=training)", "training=False)")]),
    "update applied twice": (MODELS, "ex3_test_update", REGRESSOR, [(
        "        self.optimizer.apply(gradients, trainable_variables)\n",
        "        self.optimizer.apply(gradients, trainable_variables)\n" * 2)]),
    "only the last layer trained": (MODELS, "ex3_test_update", REGRESSOR, [(
        "trainable_variables = self.trainable_variables", "trainable_variables = self.head.trainable_variables")]),
    "the batch loss returned": (MODELS, "ex3_test_metrics", REGRESSOR, [(
        'return {"loss": self.loss_tracker.result(),', 'return {"loss": loss,')]),
    "the metric objects returned": (MODELS, "ex3_test_metrics", REGRESSOR, [(
        'return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}',
        'return {"loss": self.loss_tracker, "mae": self.mae_metric}')]),
    "metrics lists only the loss tracker": (MODELS, "ex3_test_metrics", REGRESSOR, [(
        "return [self.loss_tracker, self.mae_metric]", "return [self.loss_tracker]")]),
    "log1pexp's gradient overflows": (MODELS, "ex4_test_log1pexp", GRADIENTS, [(
        "return upstream * (1.0 - 1.0 / (1.0 + e))", "return upstream * e / (1.0 + e)")]),
    "clip_gradient clips one side": (MODELS, "ex4_test_clip_gradient", GRADIENTS, [(
        "return ops.clip(upstream, -1.0, 1.0)", "return ops.minimum(upstream, 1.0)")]),
    "one step ahead": (TRAINING_STEP, "ex1_test_schedule", ANNEALED, [(
        "self.training_step / self.anneal_steps", "(self.training_step + 1) / self.anneal_steps")]),
    "a counter of its own, two calls a step": (TRAINING_STEP, "ex1_test_two_calls", ANNEALED, own_counter()),
    "a counter of its own, advanced at inference": (
        TRAINING_STEP, "ex1_test_inference", ANNEALED, own_counter(advanced_in_training_only=False)),
    "penalty in NumPy": (TRAINING_STEP, "ex1_test_config", ANNEALED, [(
        "ops.mean(ops.square(inputs))", "np.mean(np.square(inputs.numpy()))")]),
    "the step from training_step": (TRAINING_STEP, "ex2_test_reads_optimizer", BOUND, [(
        'ops.cast(self.optimizer.iterations, "float32")', "self.training_step")]),
    "the optimizer's counter kept as a weight": (TRAINING_STEP, "ex2_test_reads_optimizer", BOUND, [
        ("self.optimizer = optimizer", "self.iterations = optimizer.iterations"),
        ("self.optimizer.iterations", "self.iterations")]),
}


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_wrong_answer_fails_with_the_explanation_the_learner_reads(name, both_sides, notebooks):
    path, test, grade_id, changes = MISTAKES[name]
    cells = notebooks[path]
    answers = cells.changed(grade_id, changes)
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids(), [test], answers)[test]
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert not verdict.passed
    assert verdict.lines == both_sides.local_lines(cells.by_id[test])


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_kernel_that_patches_grading_or_numpy_does_not_pass(name, cheat, both_sides, notebooks):
    path, test, grade_id, changes = MISTAKES[name]
    cells = notebooks[path]
    answers = {**cells.changed(grade_id, changes), "cheat": cheat}
    _, verdict = both_sides.run_and_judge(cells, cells.learner_ids() + ["cheat"], [test], answers)[test]
    assert not verdict.passed
