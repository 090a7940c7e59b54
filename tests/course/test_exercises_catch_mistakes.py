"""The hidden tests catch the plausible wrong answers, and say what is wrong.

Each case hands an exercise a typical mistake (run in this process with
`grade_in_process`, the instructor's solutions standing in for the other
exercises) and states which test cells fail and a phrase of the message
the learner reads. Authors of new notebooks add their cases here.
"""

from pathlib import Path

import numpy as np
import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts

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
    "the cell defining SimpleDense fails": (THE_LAYER, {"ex1_simple_dense": "import a_package_that_is_not_installed\n\n" + simple_dense()},
        EX1_TESTS, "ex1_test_weights", "the cell that defines it stopped with an error"),
    "not started": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init="    def __init__(self, units=32, **kwargs):\n        raise NotImplementedError()\n")},
        EX1_TESTS, "ex1_test_output", "Not done yet: `SimpleDense.__init__` still raises NotImplementedError"),
    "super().__init__ never called": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init="    def __init__(self, units=32, **kwargs):\n        self.units = units\n")},
        EX1_TESTS, "forgot to call"),
    "units without its default": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init=SIMPLE_DENSE_PARTS["init"].replace("units=32", "units"))},
        {"ex1_test_weights"}, "write the default in the signature"),
    "another default for units": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        init=SIMPLE_DENSE_PARTS["init"].replace("units=32", "units=16"))},
        {"ex1_test_weights"}, "Expected: (3, 32)"),
    "bias starts at one": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("'zeros'", "'ones'"))},
        {"ex1_test_weights"}, "pass initializer='zeros'"),
    "kernel starts at zero": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("'glorot_uniform'", "'zeros'"))},
        {"ex1_test_weights"}, "A constant kernel gives every unit the same output"),
    "kernel drawn from random_normal": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("'glorot_uniform'", "'random_normal'"))},
        {"ex1_test_weights"}, "pass initializer='glorot_uniform'"),
    "bias of shape (1, units)": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("shape=(self.units,)", "shape=(1, self.units)"))},
        {"ex1_test_weights"}, "bias has an extra axis of size 1"),
    "kernel created with trainable=False": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("name='kernel'", "trainable=False, name='kernel'"))},
        {"ex1_test_weights"}, "this weight is learned, so it must be trainable"),
    "a 2-D-only SimpleDense (input_shape[1], two output axes)": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        build=SIMPLE_DENSE_PARTS["build"].replace("input_shape[-1]", "input_shape[1]"),
        shape="    def compute_output_shape(self, input_shape):\n        return (input_shape[0], self.units)\n")},
        EX1_TESTS, "ex1_test_weights", "use input_shape[-1]"),
    "the output computed with NumPy": (THE_LAYER, {"ex1_simple_dense": simple_dense(
        call="    def call(self, inputs):\n        return ops.convert_to_tensor(np.matmul(ops.convert_to_numpy(inputs), "
             "self.kernel.numpy()) + self.bias.numpy())\n")},
        {"ex1_test_output"}, "compute with ops"),
    # -- 01 · ComputeSum -------------------------------------------------------
    "call() without return": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        call="    def call(self, inputs):\n        self.total.assign(self.total + ops.sum(inputs))\n")},
        {"ex2_test_state", "ex2_test_running_sum"}, "a `return` is missing"),
    "total created before super().__init__": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        init=("    def __init__(self, input_dim, **kwargs):\n"
              "        self.total = self.add_weight(shape=(), initializer='zeros', trainable=False, name='total')\n"
              "        super().__init__(**kwargs)\n"))},
        {"ex2_test_state", "ex2_test_running_sum"}, "forgot to call"),
    "ComputeSum without **kwargs": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        init=COMPUTE_SUM_PARTS["init"].replace(", **kwargs):\n        super().__init__(**kwargs)", "):\n        super().__init__()"))},
        {"ex2_test_state"}, "super().__init__(**kwargs)"),
    "the mean instead of the sum": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        call="    def call(self, inputs):\n        self.total.assign(self.total + ops.mean(inputs))\n        return self.total\n")},
        {"ex2_test_running_sum"}, "this is the mean"),
    "only the first row added": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        call="    def call(self, inputs):\n        self.total.assign(self.total + ops.sum(inputs[0]))\n        return self.total\n")},
        {"ex2_test_running_sum"}, "only part of the inputs is added"),
    "total starts at one": (THE_LAYER, {"ex2_compute_sum": compute_sum(
        init=COMPUTE_SUM_PARTS["init"].replace("'zeros'", "'ones'"))},
        {"ex2_test_running_sum"}, "the total starts at 1"),
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
    "the loop stops one layer early": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n    total = 0\n"
        "    for i in range(len(layer_sizes) - 2):\n        total += layer_sizes[i] * layer_sizes[i + 1] + layer_sizes[i + 1]\n"
        "    return total\n")},
        {"ex1_test_example", "ex1_test_general"}, "ex1_test_example", "only the first layer is counted"),
    "bias per input": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n"
        "    return sum(a * b + a for a, b in zip(layer_sizes, layer_sizes[1:]))")},
        {"ex1_test_example", "ex1_test_general"}, "ex1_test_example", "the bias is counted per input"),
}


CORRECT_VARIANTS = {
    "SimpleDense: settings stored before super().__init__, ops.add, initializer objects": (THE_LAYER, {
        "ex1_simple_dense": simple_dense(
            init="    def __init__(self, units=32, **kwargs):\n        self.units = units\n        super().__init__(**kwargs)\n",
            build=("    def build(self, input_shape):\n"
                   "        from mlkit import initializers\n"
                   "        *_, features = input_shape\n"
                   "        self.kernel = self.add_weight(name='kernel', shape=(features, self.units), initializer=initializers.GlorotUniform())\n"
                   "        self.bias = self.add_weight(name='bias', shape=(self.units,), initializer=initializers.Zeros(), trainable=True)\n"),
            call="    def call(self, inputs):\n        return ops.add(ops.matmul(inputs, self.kernel), self.bias)\n",
            shape="    def compute_output_shape(self, input_shape):\n        return (*input_shape[:-1], self.units)\n")}),
    "SimpleDense: name taken by keyword, the default initializer, the @ operator": (THE_LAYER, {
        "ex1_simple_dense": simple_dense(
            init="    def __init__(self, units=32, *, name=None, **kwargs):\n        super().__init__(name=name, **kwargs)\n        self.units = int(units)\n",
            build=SIMPLE_DENSE_PARTS["build"].replace(", initializer='glorot_uniform'", ""),
            call="    def call(self, inputs):\n        return inputs @ self.kernel + self.bias\n")}),
    "ComputeSum: assign_add, weight named by keyword first": (THE_LAYER, {
        "ex2_compute_sum": compute_sum(
            init=("    def __init__(self, input_dim, **kwargs):\n        super().__init__(**kwargs)\n"
                  "        self.input_dim = input_dim\n"
                  "        self.total = self.add_weight(name='total', shape=(), initializer='zeros', trainable=False)\n"),
            call="    def call(self, inputs):\n        self.total.assign_add(ops.sum(inputs))\n        return self.total\n")}),
    "count_parameters: a model built and asked for its count": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n"
        "    import mlkit\n"
        "    from mlkit import layers\n"
        "    if len(layer_sizes) < 2:\n"
        "        return 0\n"
        "    model = mlkit.Sequential([mlkit.Input(shape=(layer_sizes[0],))] + [layers.Dense(units) for units in layer_sizes[1:]])\n"
        "    return model.count_params()\n")}),
    "count_parameters: a loop with an index": (WELCOME, {"ex1_count_parameters": (
        "def count_parameters(layer_sizes):\n"
        "    total = 0\n"
        "    for i in range(1, len(layer_sizes)):\n"
        "        total += (layer_sizes[i - 1] + 1) * layer_sizes[i]\n"
        "    return total\n")}),
}


def _case(name):
    case = CASES[name]
    if len(case) == 4:  # (notebook, answers, failing cells, phrase): the phrase is in every failing cell
        notebook, answers, failing, phrase = case
        return notebook, answers, failing, None, phrase
    return case


def test_the_instructor_solutions_pass_everything():
    for notebook in (WELCOME, THE_LAYER):
        assert failures(grade_in_process(notebook)) == {}, notebook


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes_everything(name):
    notebook, answers = CORRECT_VARIANTS[name]
    assert failures(grade_in_process(notebook, answers)) == {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name):
    notebook, answers, failing, cell, phrase = _case(name)
    assert wrong_verdicts(grade_in_process(notebook, answers), failing, phrase, cell) == []


def _simple_dense_class(source):
    namespace = {}
    exec("import numpy as np\nfrom mlkit import layers, ops\n" + source, namespace)
    return namespace["SimpleDense"]


def test_a_bias_never_added_is_named_by_the_warning_of_fit():
    import warnings

    import mlkit

    simple_dense_class = _simple_dense_class(simple_dense(
        call="    def call(self, inputs):\n        return ops.matmul(inputs, self.kernel)\n"))
    model = mlkit.Sequential([mlkit.Input(shape=(1,)), simple_dense_class(1)])
    model.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(np.ones((4, 1), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    messages = [str(warning.message) for warning in caught if "Gradients do not exist" in str(warning.message)]
    assert messages and "never used in call()" in messages[0], messages
    assert "forget to provide a `loss`" not in messages[0]


def test_a_compute_output_shape_returning_a_list_still_builds_a_model():
    # The graded check asks for a tuple ("compute_output_shape returns a list" above); the model
    # cell of the notebook works anyway, as in Keras, instead of blaming a None that never came.
    import mlkit

    simple_dense_class = _simple_dense_class(simple_dense(
        shape="    def compute_output_shape(self, input_shape):\n        return list(input_shape[:-1]) + [self.units]\n"))
    model = mlkit.Sequential([mlkit.Input(shape=(1,)), simple_dense_class(3)])
    assert model.output_shape == (None, 3)
