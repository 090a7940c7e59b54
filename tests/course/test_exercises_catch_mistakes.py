"""The hidden tests catch the plausible wrong answers, and say what is wrong.

Each case hands an exercise a typical mistake (run in this process with
`grade_in_process`, the instructor's solutions standing in for the other
exercises) and states which test cells fail and a phrase of the message
the learner reads. Authors of new notebooks add their cases here.
"""

from pathlib import Path

import pytest

from mlkit.grading import GradingFailure
from mlkit.grading.authoring import grade_in_process

ROOT = Path(__file__).resolve().parents[2]
WELCOME = ROOT / "solutions" / "00_welcome" / "welcome.ipynb"
THE_LAYER = ROOT / "solutions" / "01_the_layer" / "the_layer.ipynb"

SIMPLE_DENSE_PARTS = {
    "init": "    def __init__(self, units=32, **kwargs):\n        super().__init__(**kwargs)\n        self.units = units\n",
    "build": (
        "    def build(self, input_shape):\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer='glorot_uniform', name='kernel')\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"
    ),
    "call": "    def call(self, inputs):\n        return ops.matmul(inputs, self.kernel) + self.bias\n",
    "shape": "    def compute_output_shape(self, input_shape):\n        return tuple(input_shape[:-1]) + (self.units,)\n",
}


def simple_dense(**replaced):
    parts = {**SIMPLE_DENSE_PARTS, **replaced}
    return "class SimpleDense(layers.Layer):\n" + "\n".join(parts.values())


COMPUTE_SUM_PARTS = {
    "init": ("    def __init__(self, input_dim, **kwargs):\n        super().__init__(**kwargs)\n"
             "        self.total = self.add_weight(shape=(), initializer='zeros', trainable=False, name='total')\n"),
    "call": "    def call(self, inputs):\n        self.total.assign(self.total + ops.sum(inputs))\n        return self.total\n",
}


def compute_sum(**replaced):
    return "class ComputeSum(layers.Layer):\n" + "\n".join({**COMPUTE_SUM_PARTS, **replaced}.values())


EX1_TESTS = {"ex1_test_weights", "ex1_test_output", "ex1_test_output_shape"}

CASES = {
    # -- 01 · SimpleDense ----------------------------------------------------
    "weights created in call": (THE_LAYER, {"ex1_simple_dense": simple_dense(build="", call=(
        "    def call(self, inputs):\n"
        "        self.kernel = self.add_weight(shape=(inputs.shape[-1], self.units), name='kernel')\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"
        "        return ops.matmul(inputs, self.kernel) + self.bias\n"))},
        EX1_TESTS, "ex1_test_weights", "weights are created in call()"),
    "weights re-created on every call": (THE_LAYER, {"ex1_simple_dense": simple_dense(call=(
        "    def call(self, inputs):\n        self.build(inputs.shape)\n"
        "        return ops.matmul(inputs, self.kernel) + self.bias\n"))},
        EX1_TESTS, "ex1_test_weights", "don't call self.build yourself"),
    "weights created in __init__ (not lazy)": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init=("    def __init__(self, units=32, input_dim=3, **kwargs):\n        super().__init__(**kwargs)\n"
              "        self.units = units\n        self.build((None, input_dim))\n"),
        build=SIMPLE_DENSE_PARTS["build"].replace("def build(self, input_shape):", "def build(self, input_shape):\n        self.built = True"))},
        EX1_TESTS, "ex1_test_weights", "the weights are created in __init__"),
    "kernel transposed": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("(input_shape[-1], self.units)", "(self.units, input_shape[-1])"),
        call="    def call(self, inputs):\n        return ops.matmul(inputs, ops.transpose(self.kernel)) + self.bias\n")},
        {"ex1_test_weights", "ex1_test_output"}, "ex1_test_weights", "kernel is transposed"),
    "weights in the wrong order": (THE_LAYER, {"ex1_simple_dense": simple_dense(build=(
        "    def build(self, input_shape):\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name='kernel')\n"))},
        {"ex1_test_weights"}, "create kernel before bias"),
    "bias missing": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].split("        self.bias")[0],
        call="    def call(self, inputs):\n        return ops.matmul(inputs, self.kernel)\n")},
        {"ex1_test_weights", "ex1_test_output"}, "ex1_test_weights", "the bias is missing"),
    "bias created but never added": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        call="    def call(self, inputs):\n        return ops.matmul(inputs, self.kernel)\n")},
        {"ex1_test_output"}, "the bias is not added"),
    "input_shape[1] instead of input_shape[-1]": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("input_shape[-1]", "input_shape[1]"))},
        EX1_TESTS, "ex1_test_weights", "use input_shape[-1]"),
    "kwargs not passed to the base class": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init="    def __init__(self, units=32):\n        super().__init__()\n        self.units = units\n")},
        {"ex1_test_weights"}, "super().__init__(**kwargs)"),
    "NumPy instead of ops in call": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        call="    def call(self, inputs):\n        return inputs.numpy() @ self.kernel.numpy() + self.bias.numpy()\n")},
        {"ex1_test_output"}, "compute with ops"),
    "compute_output_shape keeps only two axes": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        shape="    def compute_output_shape(self, input_shape):\n        return (input_shape[0], self.units)\n")},
        {"ex1_test_output_shape"}, "keep every axis but the last"),
    "compute_output_shape returns a list": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        shape="    def compute_output_shape(self, input_shape):\n        return list(input_shape[:-1]) + [self.units]\n")},
        {"ex1_test_output_shape"}, "return a tuple"),
    "compute_output_shape not written": (THE_LAYER, {"ex1_simple_dense": simple_dense(shape="")},
        {"ex1_test_output_shape"}, "add `def compute_output_shape"),
    "compute_output_shape reads the kernel": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        shape="    def compute_output_shape(self, input_shape):\n        return tuple(input_shape[:-1]) + (self.kernel.shape[-1],)\n")},
        {"ex1_test_output_shape"}, "must work before build"),
    "the cell defining SimpleDense fails": (THE_LAYER, {"ex1_simple_dense": "import torch\n\n" + simple_dense()},
        EX1_TESTS, "ex1_test_weights", "the cell that defines it stopped with an error"),
    "not started": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init="    def __init__(self, units=32, **kwargs):\n        raise NotImplementedError()\n")},
        EX1_TESTS, "ex1_test_output", "Not done yet: `SimpleDense.__init__` still raises NotImplementedError"),
    # -- 01 · ComputeSum -------------------------------------------------------
    "total is trainable": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        init=COMPUTE_SUM_PARTS["init"].replace("trainable=False, ", ""))},
        {"ex2_test_state"}, "pass trainable=False"),
    "total created in build": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        init="    def __init__(self, input_dim, **kwargs):\n        super().__init__(**kwargs)\n",
        call=("    def build(self, input_shape):\n"
              "        self.total = self.add_weight(shape=(), initializer='zeros', trainable=False, name='total')\n\n"
              + COMPUTE_SUM_PARTS["call"]))},
        {"ex2_test_state"}, "creates its weights in __init__"),
    "attribute rebound instead of assign": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        call="    def call(self, inputs):\n        self.total = self.total + ops.sum(inputs)\n        return self.total\n")},
        {"ex2_test_running_sum"}, "self.total.assign"),
    "returns this call's sum": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        call="    def call(self, inputs):\n        self.total.assign(ops.sum(inputs))\n        return self.total\n")},
        {"ex2_test_running_sum"}, "add to the total instead of replacing it"),
    # -- 00 · count_parameters ------------------------------------------------
    "biases forgotten": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n    return sum(a * b for a, b in zip(layer_sizes, layer_sizes[1:]))")},
        {"ex1_test_example", "ex1_test_general"}, "ex1_test_example", "the biases are missing"),
    "only the first layer": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n    return layer_sizes[0] * layer_sizes[1] + layer_sizes[1]")},
        {"ex1_test_example", "ex1_test_general"}, "ex1_test_example", "only the first layer is counted"),
    "bias per input": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n"
        "    return sum(a * b + a for a, b in zip(layer_sizes, layer_sizes[1:]))")},
        {"ex1_test_example", "ex1_test_general"}, "ex1_test_example", "the bias is counted per input"),
}


def _case(name):
    case = CASES[name]
    if len(case) == 4:  # (notebook, answers, failing cells, phrase): the phrase is in every failing cell
        notebook, answers, failing, phrase = case
        return notebook, answers, failing, None, phrase
    return case


def test_the_instructor_solutions_pass_everything():
    for notebook in (WELCOME, THE_LAYER):
        assert set(grade_in_process(notebook).values()) == {None}, notebook


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name):
    notebook, answers, failing, cell, phrase = _case(name)
    results = grade_in_process(notebook, answers)
    assert {grade_id for grade_id, error in results.items() if error is not None} == failing, results
    for grade_id in [cell] if cell else failing:
        error = results[grade_id]
        assert isinstance(error, GradingFailure), repr(error)
        assert phrase in str(error), str(error)
