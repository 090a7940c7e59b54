"""Notebooks 05 (models and training) and 07 (the training step in a layer), judged outside the kernel.

Each test plays both sides in this process, as test_judge.py does: the
notebook's setup and answer cells run as the learner's, a test cell runs in
"probe" mode (its records collected instead of displayed), then the same
test source is judged from those records alone, the learner's names bound
to placeholders. A wrong answer fails there with the very explanation the
learner reads in their own notebook, and a kernel that patches the grading
tools or NumPy gains nothing.
"""

import contextlib
import io
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlkit.grading import GradingFailure, judge, probe_channel
from mlkit.utils import clear_session

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
MODELS = SOLUTIONS / "05_models_and_training" / "models_and_training.ipynb"
TRAINING_STEP = SOLUTIONS / "07_training_step_in_a_layer" / "training_step_in_a_layer.ipynb"

# The subclassed-model checks on their own (the notebook's cells that use them are
# judged whole in tests/grading/test_judge_result_checks.py).
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

# (notebook, test cell id or test source) of every test that uses only judged checks.
JUDGED_TESTS = {
    "05 ex1_test_weights": (MODELS, "ex1_test_weights"),
    "05 ex1_test_output": (MODELS, "ex1_test_output"),
    "05 DigitClassifier": (MODELS, CLASSIFIER_TEST),
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


def cells(path):
    """{grade_id: source} of the notebook's cells that have one, in notebook order."""
    book = nbformat.read(str(path), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in book.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id")}


def edited(path, grade_id, *replacements):
    """{grade_id: the instructor's answer with each (old, new) replaced}."""
    source = cells(path)[grade_id]
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new)
    return {grade_id: source}


def run_learner(notebook, path, answers=None, extra=""):
    """The notebook's setup and answer cells (some replaced by `answers`), then `extra`."""
    with contextlib.redirect_stdout(io.StringIO()):
        for grade_id, source in cells(path).items():
            if "_test_" not in grade_id:
                notebook.run((answers or {}).get(grade_id, source))
        if extra:
            notebook.run(extra)


def local_lines(notebook, test_source):
    """What the learner reads when the test runs in their own notebook: ✓ lines, then the failure."""
    printed = io.StringIO()
    clear_session()  # layer names as in the probe run: the messages name weights by path
    try:
        with contextlib.redirect_stdout(printed):
            notebook.run(test_source, record=False)
        failure = []
    except GradingFailure as error:
        failure = error.lines()
    return [line for line in printed.getvalue().split("\n") if line.startswith("✓ ")] + failure


def probe_records(notebook, test_source, monkeypatch, patched_by_learner=None):
    """The records the test cell sends in probe mode. At autograde kernel and grader are two
    processes: what the learner's code patched here (`patched_by_learner`, the `kernel_state`
    saved before it ran) is undone before judging."""
    from mlkit import grading

    saved_grading, saved_numpy = patched_by_learner or kernel_state()
    records = []
    monkeypatch.setattr(probe_channel, "emit", records.append)
    monkeypatch.setattr(probe_channel.state, "mode", "probe")
    clear_session()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            notebook.run(test_source, record=False)
    except AssertionError:
        pass  # the kernel's own verdict: ignored, as at autograde
    finally:
        monkeypatch.setattr(probe_channel.state, "mode", "local")
        vars(grading).update(saved_grading)
        vars(np).update(saved_numpy)
    return records


def kernel_state():
    """What a learner's code could patch here: the names of mlkit.grading and of NumPy."""
    from mlkit import grading

    return dict(vars(grading)), dict(vars(np))


def source_of(path, test):
    return cells(path)[test] if test in cells(path) else test


@pytest.mark.parametrize("name", sorted(JUDGED_TESTS))
def test_the_instructors_answers_pass_on_their_records_alone(name, notebook, monkeypatch):
    path, test = JUDGED_TESTS[name]
    source = source_of(path, test)
    run_learner(notebook, path)
    verdict = judge.judge_cell(source, probe_records(notebook, source, monkeypatch))
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert verdict.passed, verdict.lines
    assert verdict.lines == local_lines(notebook, source)


# name: (notebook, the test, answers): one wrong answer caught by each converted check.
MULTI_INPUT = "ex1_multi_input_layer"
CLASSIFIER = "ex2_digit_classifier"
REGRESSOR = "ex3_custom_regressor"
GRADIENTS = "ex4_custom_gradients"
ANNEALED = "ex1_annealed_penalty"
BOUND = "ex2_optimizer_bound_penalty"
CONCATENATED = "[ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)]"
OWN_COUNTER = (
    "    def call(self, inputs, training=False):\n"
    "        weight = min(1.0, self.step_counter / self.anneal_steps)\n"
    "        if training:\n"
    "            self.step_counter += 1\n"
    "        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n"
    "        return inputs\n"
)


def own_counter(advanced_in_training_only=True):
    call = OWN_COUNTER if advanced_in_training_only else OWN_COUNTER.replace(
        "        if training:\n            self.step_counter", "        self.step_counter")
    source = cells(TRAINING_STEP)[ANNEALED]
    start, end = source.index("    def call(self, inputs):"), source.index("    def get_config(self):")
    source = source[:start] + call + "\n" + source[end:]
    return {ANNEALED: source.replace("self.rate = rate\n", "self.rate = rate\n        self.step_counter = 0\n", 1)}


MISTAKES = {
    "kernel2 created first": (MODELS, "ex1_test_weights", edited(MODELS, MULTI_INPUT, (
        "        self.kernel1 = self.add_weight(\n"
        '            shape=(shape1[-1], self.units), initializer="glorot_uniform", trainable=True, name="kernel1"\n'
        "        )\n", ""), (
        "        ### END SOLUTION\n\n    def call",
        "        self.kernel1 = self.add_weight(shape=(shape1[-1], self.units), name='kernel1')\n"
        "        ### END SOLUTION\n\n    def call"))),
    "kernels sized from the other input": (MODELS, "ex1_test_weights", edited(
        MODELS, MULTI_INPUT, ("shape=(shape1[-1]", "shape=(SHAPE"), ("shape=(shape2[-1]", "shape=(shape1[-1]"),
        ("shape=(SHAPE", "shape=(shape2[-1]"))),
    "halves in the wrong order": (MODELS, "ex1_test_output", edited(MODELS, MULTI_INPUT, (
        CONCATENATED, "[ops.matmul(input2, self.kernel2), ops.matmul(input1, self.kernel1)]"))),
    "NumPy in call": (MODELS, "ex1_test_output", edited(MODELS, MULTI_INPUT, (
        f"ops.concatenate({CONCATENATED}, axis=-1)",
        "np.concatenate([input1.numpy() @ self.kernel1.numpy(), input2.numpy() @ self.kernel2.numpy()], axis=-1)"))),
    "layers created in call": (MODELS, CLASSIFIER_TEST, edited(MODELS, CLASSIFIER, (
        '        self.hidden = layers.Dense(hidden_units, activation="relu")\n'
        "        self.dropout = layers.Dropout(dropout_rate)\n"
        '        self.classifier = layers.Dense(num_classes, activation="softmax")\n', ""), (
        "        x = self.hidden(inputs)\n",
        "        self.hidden = layers.Dense(self.hidden_units, activation='relu')\n"
        "        self.dropout = layers.Dropout(self.dropout_rate)\n"
        "        self.classifier = layers.Dense(self.num_classes, activation='softmax')\n"
        "        x = self.hidden(inputs)\n"))),
    "dropout forced on": (MODELS, CLASSIFIER_TEST, edited(MODELS, CLASSIFIER, ("training=training)",
                                                                               "training=True)"))),
    "dropout forced off": (MODELS, CLASSIFIER_TEST, edited(MODELS, CLASSIFIER, ("training=training)",
                                                                                "training=False)"))),
    "update applied twice": (MODELS, "ex3_test_update", edited(MODELS, REGRESSOR, (
        "        self.optimizer.apply(gradients, trainable_variables)\n",
        "        self.optimizer.apply(gradients, trainable_variables)\n" * 2))),
    "only the last layer trained": (MODELS, "ex3_test_update", edited(MODELS, REGRESSOR, (
        "trainable_variables = self.trainable_variables", "trainable_variables = self.head.trainable_variables"))),
    "the batch loss returned": (MODELS, "ex3_test_metrics", edited(MODELS, REGRESSOR, (
        'return {"loss": self.loss_tracker.result(),', 'return {"loss": loss,'))),
    "the metric objects returned": (MODELS, "ex3_test_metrics", edited(MODELS, REGRESSOR, (
        'return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}',
        'return {"loss": self.loss_tracker, "mae": self.mae_metric}'))),
    "metrics lists only the loss tracker": (MODELS, "ex3_test_metrics", edited(MODELS, REGRESSOR, (
        "return [self.loss_tracker, self.mae_metric]", "return [self.loss_tracker]"))),
    "log1pexp's gradient overflows": (MODELS, "ex4_test_log1pexp", edited(MODELS, GRADIENTS, (
        "return upstream * (1.0 - 1.0 / (1.0 + e))", "return upstream * e / (1.0 + e)"))),
    "clip_gradient clips one side": (MODELS, "ex4_test_clip_gradient", edited(MODELS, GRADIENTS, (
        "return ops.clip(upstream, -1.0, 1.0)", "return ops.minimum(upstream, 1.0)"))),
    "one step ahead": (TRAINING_STEP, "ex1_test_schedule", edited(TRAINING_STEP, ANNEALED, (
        "self.training_step / self.anneal_steps", "(self.training_step + 1) / self.anneal_steps"))),
    "a counter of its own, two calls a step": (TRAINING_STEP, "ex1_test_two_calls", own_counter()),
    "a counter of its own, advanced at inference": (TRAINING_STEP, "ex1_test_inference", own_counter(False)),
    "penalty in NumPy": (TRAINING_STEP, "ex1_test_config", edited(TRAINING_STEP, ANNEALED, (
        "ops.mean(ops.square(inputs))", "np.mean(np.square(inputs.numpy()))"))),
    "the step from training_step": (TRAINING_STEP, "ex2_test_reads_optimizer", edited(TRAINING_STEP, BOUND, (
        'ops.cast(self.optimizer.iterations, "float32")', "self.training_step"))),
    "the optimizer's counter kept as a weight": (TRAINING_STEP, "ex2_test_reads_optimizer", edited(
        TRAINING_STEP, BOUND, ("self.optimizer = optimizer", "self.iterations = optimizer.iterations"),
        ("self.optimizer.iterations", "self.iterations"))),
}


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_wrong_answer_fails_with_the_explanation_the_learner_reads(name, notebook, monkeypatch):
    path, test, answers = MISTAKES[name]
    source = source_of(path, test)
    run_learner(notebook, path, answers)
    verdict = judge.judge_cell(source, probe_records(notebook, source, monkeypatch))
    assert verdict.unjudgeable is None, verdict.unjudgeable
    assert not verdict.passed
    assert verdict.lines == local_lines(notebook, source)


CHEATS = {
    "the exercise made silent": "import contextlib\nfrom mlkit import grading\n"
                                "grading.exercise = lambda *a, **k: contextlib.suppress(BaseException)\n",
    "NumPy's comparisons made to agree": (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.isclose = lambda a, b, *rest, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)\n"),
}


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("cheat", sorted(CHEATS))
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_kernel_that_patches_grading_or_numpy_does_not_pass(name, cheat, notebook, monkeypatch):
    path, test, answers = MISTAKES[name]
    source = source_of(path, test)
    before = kernel_state()
    run_learner(notebook, path, answers, extra=CHEATS[cheat])
    assert not judge.judge_cell(source, probe_records(notebook, source, monkeypatch, before)).passed
