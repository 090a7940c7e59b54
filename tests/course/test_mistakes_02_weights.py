"""Notebook 02 (weights and state): the hidden tests catch the plausible wrong answers.

Each case hands one exercise a typical mistake (graded in this process with
`grade_in_process`, the instructor's solutions standing in for the other
exercises) and states which test cells fail and a phrase of the message the
learner reads. Correct variants, written differently from the solution, must
pass every cell.
"""

from pathlib import Path

import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "solutions" / "02_weights_and_state" / "weights_and_state.ipynb"

# -- Exercise 1: Linear ----------------------------------------------------------
LINEAR = {
    "init": ("    def __init__(self, units, use_bias=True, train_bias_only=False, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.units, self.use_bias, self.train_bias_only = units, use_bias, train_bias_only\n"),
    "build": ("    def build(self, input_shape):\n"
              "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer='glorot_uniform',\n"
              "                                      trainable=not self.train_bias_only, name='kernel')\n"
              "        self.bias = None\n"
              "        if self.use_bias:\n"
              "            self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"),
    "call": ("    def call(self, inputs):\n"
             "        outputs = ops.matmul(inputs, self.kernel)\n"
             "        return outputs if self.bias is None else outputs + self.bias\n"),
}


def linear(**replaced):
    return "class Linear(layers.Layer):\n" + "\n".join({**LINEAR, **replaced}.values())


EX1 = {"ex1_test_weights", "ex1_test_output", "ex1_test_frozen_kernel"}

# -- Exercise 2: MLPBlock --------------------------------------------------------
MLP = {
    "init": ("    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.hidden_units, self.repeats = hidden_units, repeats\n"
             "        self.hidden_layers = [layers.Dense(u, activation='relu') for u in hidden_units]\n"
             "        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n"),
    "call": ("    def call(self, inputs):\n"
             "        x = inputs\n"
             "        for layer in self.hidden_layers:\n"
             "            x = layer(x)\n"
             "        for _ in range(self.repeats):\n"
             "            x = self.shared(x)\n"
             "        return x\n"),
}


def mlp_block(**replaced):
    return "class MLPBlock(layers.Layer):\n" + "\n".join({**MLP, **replaced}.values())


EX2 = {"ex2_test_weights", "ex2_test_output"}

# -- Exercise 3: freeze_all_but --------------------------------------------------
COUNT = "    return int(sum(np.prod(w.shape) for w in model.trainable_weights))\n"


def freeze_all_but(body, count=COUNT):
    return "def freeze_all_but(model, n_trainable):\n" + body + count


EX3 = {"ex3_test_flags", "ex3_test_count"}

CASES = {
    # -- Linear ------------------------------------------------------------------
    "bias created even with use_bias=False": ({"ex1_linear": linear(build=(
        "    def build(self, input_shape):\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), trainable=not self.train_bias_only, name='kernel')\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"))},
        EX1, "ex1_test_weights", "bias is extra"),
    "kernel frozen by hand after add_weight": ({"ex1_linear": linear(build=(
        "    def build(self, input_shape):\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name='kernel')\n"
        "        if self.train_bias_only:\n"
        "            self.kernel.trainable = False\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias') if self.use_bias else None\n"))},
        {"ex1_test_frozen_kernel"}, "switched off afterwards"),
    "train_bias_only ignored": ({"ex1_linear": linear(build=LINEAR["build"].replace(
        "trainable=not self.train_bias_only, ", ""))},
        {"ex1_test_frozen_kernel"}, "pass trainable=False to add_weight"),
    "trainable flag inverted": ({"ex1_linear": linear(build=LINEAR["build"].replace(
        "trainable=not self.train_bias_only", "trainable=self.train_bias_only"))},
        {"ex1_test_weights", "ex1_test_frozen_kernel"}, "ex1_test_weights", "kernel must be trained here"),
    "bias frozen too": ({"ex1_linear": linear(build=LINEAR["build"].replace(
        "initializer='zeros', name='bias'", "initializer='zeros', trainable=not self.train_bias_only, name='bias'"))},
        {"ex1_test_frozen_kernel"}, "trainable: ['bias']"),
    "bias never added": ({"ex1_linear": linear(call="    def call(self, inputs):\n        return ops.matmul(inputs, self.kernel)\n")},
        {"ex1_test_output", "ex1_test_frozen_kernel"}, "ex1_test_output", "the bias is not added"),
    "self.bias never set without a bias": ({"ex1_linear": linear(build=LINEAR["build"].replace(
        "        self.bias = None\n", ""))},
        EX1, "ex1_test_weights", "an attribute that was never set"),
    "kwargs not passed to the base class": ({"ex1_linear": linear(init=(
        "    def __init__(self, units, use_bias=True, train_bias_only=False):\n        super().__init__()\n"
        "        self.units, self.use_bias, self.train_bias_only = units, use_bias, train_bias_only\n"))},
        {"ex1_test_weights"}, "super().__init__(**kwargs)"),
    "weights created in call": ({"ex1_linear": linear(build="", call=(
        "    def call(self, inputs):\n"
        "        self.kernel = self.add_weight(shape=(inputs.shape[-1], self.units), trainable=not self.train_bias_only, name='kernel')\n"
        "        outputs = ops.matmul(inputs, self.kernel)\n"
        "        if self.use_bias:\n"
        "            self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"
        "            outputs = outputs + self.bias\n"
        "        return outputs\n"))},
        EX1, "ex1_test_weights", "weights are created in call()"),
    "NumPy in call": ({"ex1_linear": linear(call=(
        "    def call(self, inputs):\n"
        "        outputs = inputs.numpy() @ self.kernel.numpy()\n"
        "        return outputs if self.bias is None else outputs + self.bias.numpy()\n"))},
        {"ex1_test_output", "ex1_test_frozen_kernel"}, "ex1_test_output", "compute with ops"),
    "kernel starts at zero": ({"ex1_linear": linear(build=LINEAR["build"].replace("'glorot_uniform'", "'zeros'"))},
        {"ex1_test_weights"}, "A constant kernel gives every unit the same output"),
    "bias starts at one": ({"ex1_linear": linear(build=LINEAR["build"].replace("initializer='zeros'", "initializer='ones'"))},
        {"ex1_test_weights"}, "pass initializer='zeros'"),
    "use_bias defaults to False": ({"ex1_linear": linear(init=LINEAR["init"].replace("use_bias=True", "use_bias=False"))},
        EX1, "ex1_test_weights", "check the defaults of __init__"),
    "kernel always created with trainable=False": ({"ex1_linear": linear(build=LINEAR["build"].replace(
        "trainable=not self.train_bias_only", "trainable=False"))},
        {"ex1_test_weights", "ex1_test_frozen_kernel"}, "ex1_test_weights", "kernel must be trained here"),
    "kernel sized from input_shape[1]": ({"ex1_linear": linear(build=LINEAR["build"].replace("input_shape[-1]", "input_shape[1]"))},
        {"ex1_test_weights"}, "use input_shape[-1]"),
    "Linear not started": ({"ex1_linear": linear(init=(
        "    def __init__(self, units, use_bias=True, train_bias_only=False, **kwargs):\n        raise NotImplementedError()\n"))},
        EX1, None, "Not done yet: `Linear.__init__` still raises NotImplementedError"),
    # -- MLPBlock ----------------------------------------------------------------
    "a new Dense layer per repeat": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace(
        "        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n",
        "        self.repeated = [layers.Dense(hidden_units[-1], activation='relu') for _ in range(repeats)]\n"),
        call=MLP["call"].replace("for _ in range(self.repeats):\n            x = self.shared(x)",
                                 "for layer in self.repeated:\n            x = layer(x)"))},
        EX2, "ex2_test_weights", "must call the same object"),
    "shared layer made in call, kept in a local variable": ({"ex2_mlp_block": mlp_block(
        init=MLP["init"].replace("        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n", ""),
        call=MLP["call"].replace("        for _ in range(self.repeats):",
                                 "        shared = layers.Dense(self.hidden_units[-1], activation='relu')\n"
                                 "        for _ in range(self.repeats):").replace("self.shared(x)", "shared(x)"))},
        EX2, "ex2_test_weights", "are not tracked"),
    "shared layer re-created at every call": ({"ex2_mlp_block": mlp_block(
        init=MLP["init"].replace("        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n", ""),
        call=MLP["call"].replace("        for _ in range(self.repeats):",
                                 "        self.shared = layers.Dense(self.hidden_units[-1], activation='relu')\n"
                                 "        for _ in range(self.repeats):"))},
        EX2, "ex2_test_weights", "created again on every call"),
    "shared layer sized from the first hidden layer": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace(
        "layers.Dense(hidden_units[-1], activation='relu')\n", "layers.Dense(hidden_units[0], activation='relu')\n"))},
        EX2, None, "received inputs of different sizes"),
    "shared layer applied once": ({"ex2_mlp_block": mlp_block(call=MLP["call"].replace(
        "        for _ in range(self.repeats):\n            x = self.shared(x)\n", "        x = self.shared(x)\n"))},
        {"ex2_test_output"}, "the shared layer is applied once"),
    "sublayers assigned in the other order": ({"ex2_mlp_block": mlp_block(init=(
        "    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.hidden_units, self.repeats = hidden_units, repeats\n"
        "        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n"
        "        self.hidden_layers = [layers.Dense(u, activation='relu') for u in hidden_units]\n"))},
        EX2, "ex2_test_weights", "assign self.hidden_layers first"),
    "hidden layers without activation": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace(
        "[layers.Dense(u, activation='relu')", "[layers.Dense(u)"))},
        {"ex2_test_output"}, "the hidden layers have no activation"),
    "shared layer without activation": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace(
        "self.shared = layers.Dense(hidden_units[-1], activation='relu')", "self.shared = layers.Dense(hidden_units[-1])"))},
        {"ex2_test_output"}, "the shared layer has no activation"),
    "sublayers created before super().__init__": ({"ex2_mlp_block": mlp_block(init=(
        "    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n"
        "        self.hidden_units, self.repeats = hidden_units, repeats\n"
        "        self.hidden_layers = [layers.Dense(u, activation='relu') for u in hidden_units]\n"
        "        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n"
        "        super().__init__(**kwargs)\n"))},
        EX2, "before super().__init__() ran"),
    "MLPBlock without defaults": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace(
        "hidden_units=(32, 32), repeats=2", "hidden_units, repeats"))},
        EX2, "write the default in the signature"),
    "another default for repeats": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace("repeats=2", "repeats=1"))},
        {"ex2_test_output"}, "the default of repeats is not 2"),
    "another default for hidden_units": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace("(32, 32)", "(64, 64)"))},
        {"ex2_test_weights"}, "Expected: 6 weights: (3, 32)"),
    "MLPBlock ignores name and trainable": ({"ex2_mlp_block": mlp_block(init=MLP["init"].replace(
        "repeats=2, **kwargs):\n        super().__init__(**kwargs)", "repeats=2, **kwargs):\n        super().__init__()"))},
        {"ex2_test_weights"}, "super().__init__(**kwargs)"),
    "MLPBlock not started": ({"ex2_mlp_block": mlp_block(init=(
        "    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n        raise NotImplementedError()\n"))},
        EX2, None, "Not done yet: `MLPBlock.__init__` still raises NotImplementedError"),
    # -- freeze_all_but ------------------------------------------------------------
    "the -0 slice": ({"ex3_freeze_all_but": freeze_all_but(
        "    for layer in model.layers[:-n_trainable]:\n        layer.trainable = False\n"
        "    for layer in model.layers[-n_trainable:]:\n        layer.trainable = True\n")},
        EX3, "ex3_test_flags", "-0 is 0"),
    "only freezes, never unfreezes": ({"ex3_freeze_all_but": freeze_all_but(
        "    for layer in model.layers[:max(len(model.layers) - n_trainable, 0)]:\n        layer.trainable = False\n")},
        {"ex3_test_flags"}, "set trainable=True on the last n_trainable layers"),
    "freezes the last layers instead": ({"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index < len(model.layers) - n_trainable\n")},
        EX3, "ex3_test_flags", "after freeze_all_but(model, 1)"),
    "counts every parameter": ({"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= len(model.layers) - n_trainable\n",
        count="    return model.count_params()\n")},
        {"ex3_test_count"}, "count those in model.trainable_weights"),
    "counts arrays, not values": ({"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= len(model.layers) - n_trainable\n",
        count="    return len(model.trainable_weights)\n")},
        {"ex3_test_count"}, "counts weights (arrays)"),
    "counts a layer's state with count_params": ({"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= len(model.layers) - n_trainable\n",
        count="    return sum(layer.count_params() for layer in model.layers if layer.trainable)\n")},
        {"ex3_test_count"}, "moving mean and variance of BatchNormalization"),
    "counts model.weights": ({"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= len(model.layers) - n_trainable\n",
        count="    return int(sum(np.prod(w.shape) for w in model.weights))\n")},
        {"ex3_test_count"}, "count those in model.trainable_weights"),
    "returns nothing": ({"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= len(model.layers) - n_trainable\n",
        count="")},
        {"ex3_test_count"}, "a `return` is missing"),
    "freeze_all_but not started": ({"ex3_freeze_all_but": freeze_all_but("    raise NotImplementedError()\n", count="")},
        EX3, None, "Not done yet: `freeze_all_but` still raises NotImplementedError"),
}

CORRECT_VARIANTS = {
    "Linear: settings stored before super().__init__, the default kernel initializer": {"ex1_linear": linear(
        init=("    def __init__(self, units, use_bias=True, train_bias_only=False, **kwargs):\n"
              "        self.units, self.use_bias, self.train_bias_only = units, use_bias, train_bias_only\n"
              "        super().__init__(**kwargs)\n"),
        build=LINEAR["build"].replace(" initializer='glorot_uniform',", ""))},
    "MLPBlock: settings stored before super().__init__, sublayers after": {"ex2_mlp_block": mlp_block(init=(
        "    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n"
        "        self.hidden_units, self.repeats = hidden_units, repeats\n"
        "        super().__init__(**kwargs)\n"
        "        self.hidden_layers = [layers.Dense(u, activation='relu') for u in hidden_units]\n"
        "        self.shared = layers.Dense(hidden_units[-1], activation='relu')\n"))},
    "freeze_all_but: count_params of the trainable weights' layers asked of the model": {"ex3_freeze_all_but": freeze_all_but(
        "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= len(model.layers) - n_trainable\n",
        count="    return int(sum(w.numpy().size for layer in model.layers for w in layer.trainable_weights))\n")},
    "Linear: bias checked with use_bias, no None attribute": {"ex1_linear": linear(
        build=LINEAR["build"].replace("        self.bias = None\n", ""),
        call=("    def call(self, inputs):\n"
              "        if self.use_bias:\n"
              "            return ops.add(ops.matmul(inputs, self.kernel), self.bias)\n"
              "        return ops.matmul(inputs, self.kernel)\n"))},
    "Linear: initializer objects, keyword-only trainable expression": {"ex1_linear": linear(build=(
        "    def build(self, input_shape):\n"
        "        from mlkit import initializers\n"
        "        trainable_kernel = False if self.train_bias_only else True\n"
        "        self.kernel = self.add_weight(name='kernel', shape=(input_shape[-1], self.units),\n"
        "                                      initializer=initializers.GlorotUniform(), trainable=trainable_kernel)\n"
        "        self.bias = self.add_weight(name='bias', shape=(self.units,), initializer=initializers.Zeros()) if self.use_bias else None\n"))},
    "MLPBlock: list built with append, loop over one combined list": {"ex2_mlp_block": mlp_block(
        init=("    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n"
              "        super().__init__(**kwargs)\n"
              "        self.hidden_units = list(hidden_units)\n"
              "        self.repeats = repeats\n"
              "        self.hidden_layers = []\n"
              "        for units in hidden_units:\n"
              "            self.hidden_layers.append(layers.Dense(units, activation='relu'))\n"
              "        self.shared = layers.Dense(self.hidden_layers[-1].units, activation='relu')\n"),
        call=("    def call(self, inputs):\n"
              "        x = inputs\n"
              "        for layer in self.hidden_layers + [self.shared] * self.repeats:\n"
              "            x = layer(x)\n"
              "        return x\n"))},
    "MLPBlock: sublayers created in build": {"ex2_mlp_block": mlp_block(
        init=("    def __init__(self, hidden_units=(32, 32), repeats=2, **kwargs):\n"
              "        super().__init__(**kwargs)\n"
              "        self.hidden_units, self.repeats = tuple(hidden_units), repeats\n\n"
              "    def build(self, input_shape):\n"
              "        self.hidden_layers = [layers.Dense(u, activation='relu') for u in self.hidden_units]\n"
              "        self.shared = layers.Dense(self.hidden_units[-1], activation='relu')\n"))},
    "freeze_all_but: explicit start index and sizes": {"ex3_freeze_all_but": freeze_all_but(
        "    start = len(model.layers) - n_trainable\n"
        "    for layer in model.layers[:max(start, 0)]:\n        layer.trainable = False\n"
        "    for layer in model.layers[max(start, 0):]:\n        layer.trainable = True\n",
        count="    return sum(w.numpy().size for w in model.trainable_weights)\n")},
}


def test_the_instructor_solutions_pass_everything():
    results = grade_in_process(NOTEBOOK)
    assert results and failures(results) == {}


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes_everything(name):
    assert failures(grade_in_process(NOTEBOOK, CORRECT_VARIANTS[name])) == {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name):
    answers, failing, cell, phrase = CASES[name] if len(CASES[name]) == 4 else (*CASES[name][:2], None, CASES[name][2])
    assert wrong_verdicts(grade_in_process(NOTEBOOK, answers), failing, phrase, cell) == []
