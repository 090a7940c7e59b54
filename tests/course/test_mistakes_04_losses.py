"""Notebook 04 (losses and regularization): the hidden tests catch the plausible wrong answers.

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
NOTEBOOK = ROOT / "solutions" / "04_losses_and_regularization" / "losses_and_regularization.ipynb"

# -- Exercise 1: CustomLoss ----------------------------------------------------------
LOSS = {
    "init": ("    def __init__(self, regularization_factor=0.1, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.regularization_factor = regularization_factor\n"),
    "call": ("    def call(self, y_true, y_pred):\n"
             "        return (ops.mean(ops.square(y_true - y_pred), axis=-1)\n"
             "                + self.regularization_factor * ops.sum(ops.abs(y_pred), axis=-1))\n"),
    "config": ("    def get_config(self):\n"
               "        return {**super().get_config(), 'regularization_factor': self.regularization_factor}\n"),
}


def custom_loss(**replaced):
    return "class CustomLoss(losses.Loss):\n" + "\n".join({**LOSS, **replaced}.values())


EX1 = {"ex1_test_values", "ex1_test_config", "ex1_test_training"}

# -- Exercise 2: SparsityPenalty --------------------------------------------------------
PENALTY = {
    "init": ("    def __init__(self, rate=0.01, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.rate = rate\n"),
    "call": ("    def call(self, inputs):\n"
             "        self.add_loss(self.rate * ops.sum(ops.abs(inputs)) / inputs.shape[0])\n"
             "        return inputs\n"),
}


def sparsity_penalty(**replaced):
    return "class SparsityPenalty(layers.Layer):\n" + "\n".join({**PENALTY, **replaced}.values())


def penalty_call(expression, returned="inputs"):
    return f"    def call(self, inputs):\n        self.add_loss({expression})\n        return {returned}\n"


EX2 = {"ex2_test_value", "ex2_test_in_a_model"}

# -- Exercise 3: RegularizedDense -------------------------------------------------------
DENSE = {
    "init": ("    def __init__(self, units, kernel_regularizer=None, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.units = units\n"
             "        self.kernel_regularizer = regularizers.get(kernel_regularizer)\n"),
    "build": ("    def build(self, input_shape):\n"
              "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), regularizer=self.kernel_regularizer, name='kernel')\n"
              "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"),
    "call": "    def call(self, inputs):\n        return ops.matmul(inputs, self.kernel) + self.bias\n",
    "config": ("    def get_config(self):\n"
               "        return {**super().get_config(), 'units': self.units,\n"
               "                'kernel_regularizer': regularizers.serialize(self.kernel_regularizer)}\n"),
}


def regularized_dense(**replaced):
    return "class RegularizedDense(layers.Layer):\n" + "\n".join({**DENSE, **replaced}.values())


NO_REGULARIZER = DENSE["build"].replace("regularizer=self.kernel_regularizer, ", "")
EX3 = {"ex3_test_losses", "ex3_test_training", "ex3_test_config"}

CASES = {
    # -- CustomLoss ---------------------------------------------------------------
    "call reduces over the whole batch": ({"ex1_custom_loss": custom_loss(call=(
        "    def call(self, y_true, y_pred):\n"
        "        return ops.mean(ops.square(y_true - y_pred)) + ops.sum(self.regularization_factor * ops.abs(y_pred))\n"))},
        {"ex1_test_values"}, "call reduces over the whole batch"),
    "__call__ overridden instead of call": ({"ex1_custom_loss": custom_loss(call=(
        "    def __call__(self, y_true, y_pred, sample_weight=None):\n"
        "        y_true, y_pred = ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred)\n"
        "        return ops.mean(ops.mean(ops.square(y_true - y_pred), axis=-1)\n"
        "                        + self.regularization_factor * ops.sum(ops.abs(y_pred), axis=-1))\n"))},
        {"ex1_test_values"}, "not __call__"),
    "mean of |y_pred| instead of the sum": ({"ex1_custom_loss": custom_loss(call=LOSS["call"].replace(
        "ops.sum(ops.abs(y_pred), axis=-1)", "ops.mean(ops.abs(y_pred), axis=-1)"))},
        {"ex1_test_values"}, "take the sum over the last axis"),
    "y_pred without its absolute value": ({"ex1_custom_loss": custom_loss(call=LOSS["call"].replace(
        "ops.sum(ops.abs(y_pred), axis=-1)", "ops.sum(y_pred, axis=-1)"))},
        {"ex1_test_values"}, "ops.abs(y_pred)"),
    "regularization factor ignored": ({"ex1_custom_loss": custom_loss(call=LOSS["call"].replace(
        "self.regularization_factor * ", ""))},
        {"ex1_test_values"}, "the regularization factor is missing"),
    "kwargs not passed to Loss": ({"ex1_custom_loss": custom_loss(init=(
        "    def __init__(self, regularization_factor=0.1, **kwargs):\n"
        "        super().__init__()\n"
        "        self.regularization_factor = regularization_factor\n"))},
        {"ex1_test_values", "ex1_test_config"}, "pass **kwargs on"),
    "get_config without the factor": ({"ex1_custom_loss": custom_loss(config="")},
        {"ex1_test_config", "ex1_test_training"}, "ex1_test_config", "add 'regularization_factor'"),
    "get_config without the parent's config": ({"ex1_custom_loss": custom_loss(config=(
        "    def get_config(self):\n        return {'regularization_factor': self.regularization_factor}\n"))},
        {"ex1_test_config"}, "config = super().get_config()"),
    "NumPy in call": ({"ex1_custom_loss": custom_loss(call=(
        "    def call(self, y_true, y_pred):\n"
        "        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
        "        return ((y_true - y_pred) ** 2).mean(axis=-1) + self.regularization_factor * np.abs(y_pred).sum(axis=-1)\n"))},
        {"ex1_test_values", "ex1_test_training"}, "ex1_test_training", "compute call with ops"),
    "CustomLoss not started": ({"ex1_custom_loss": custom_loss(init=(
        "    def __init__(self, regularization_factor=0.1, **kwargs):\n        raise NotImplementedError()\n"))},
        EX1, None, "Not done yet: `CustomLoss.__init__` still raises NotImplementedError"),
    # -- SparsityPenalty ---------------------------------------------------------
    "not divided by the batch size": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * ops.sum(ops.abs(inputs))"))},
        EX2, "ex2_test_value", "not divided by the batch size"),
    "mean over every value": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * ops.mean(ops.abs(inputs))"))},
        EX2, "ex2_test_value", "this is the mean over every value"),
    "rate forgotten": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "ops.sum(ops.abs(inputs)) / inputs.shape[0]"))},
        EX2, "ex2_test_value", "the rate is missing"),
    "squares instead of absolute values": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * ops.sum(ops.square(inputs)) / inputs.shape[0]"))},
        EX2, "ex2_test_value", "take their absolute value"),
    "penalty added to the output": ({"ex2_sparsity_penalty": sparsity_penalty(call=(
        "    def call(self, inputs):\n        return inputs + self.rate * ops.sum(ops.abs(inputs)) / inputs.shape[0]\n"))},
        EX2, "ex2_test_value", "not into the output"),
    "penalty summed up across calls": ({"ex2_sparsity_penalty": sparsity_penalty(
        init=PENALTY["init"] + "        self.total = self.add_weight(shape=(), initializer='zeros', trainable=False, name='total')\n",
        call=("    def call(self, inputs):\n"
              "        self.total.assign(self.total + self.rate * ops.sum(ops.abs(inputs)) / inputs.shape[0])\n"
              "        self.add_loss(ops.convert_to_tensor(self.total))\n"
              "        return inputs\n"))},
        EX2, None, "from this call"),
    "penalty computed with NumPy": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * np.abs(inputs.numpy()).sum() / inputs.shape[0]"))},
        {"ex2_test_value"}, "the gradient of the loss SparsityPenalty adds"),
    "SparsityPenalty not started": ({"ex2_sparsity_penalty": sparsity_penalty(init=(
        "    def __init__(self, rate=0.01, **kwargs):\n        raise NotImplementedError()\n"))},
        EX2, None, "Not done yet: `SparsityPenalty.__init__` still raises NotImplementedError"),
    # -- RegularizedDense ----------------------------------------------------------
    "penalty added in call with add_loss": ({"ex3_regularized_dense": regularized_dense(build=NO_REGULARIZER, call=(
        "    def call(self, inputs):\n"
        "        if self.kernel_regularizer is not None:\n"
        "            self.add_loss(self.kernel_regularizer(self.kernel))\n"
        "        return ops.matmul(inputs, self.kernel) + self.bias\n"))},
        {"ex3_test_losses"}, "computed when call ran"),
    "bias regularized too": ({"ex3_regularized_dense": regularized_dense(build=DENSE["build"].replace(
        "initializer='zeros', name='bias'", "initializer='zeros', regularizer=self.kernel_regularizer, name='bias'"))},
        {"ex3_test_losses"}, "the bias is regularized too"),
    "regularizer never handed to add_weight": ({"ex3_regularized_dense": regularized_dense(build=NO_REGULARIZER)},
        {"ex3_test_losses", "ex3_test_training"}, "ex3_test_losses", "pass regularizer=self.kernel_regularizer"),
    "penalty added in build": ({"ex3_regularized_dense": regularized_dense(build=NO_REGULARIZER + (
        "        if self.kernel_regularizer is not None:\n"
        "            self.add_loss(self.kernel_regularizer(self.kernel))\n"))},
        {"ex3_test_losses", "ex3_test_training"}, "ex3_test_losses", "pass regularizer=self.kernel_regularizer"),
    "get_config without the regularizer": ({"ex3_regularized_dense": regularized_dense(config=(
        "    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n"))},
        {"ex3_test_config"}, "add 'kernel_regularizer' to the config"),
    "get_config with the regularizer object": ({"ex3_regularized_dense": regularized_dense(config=(
        "    def get_config(self):\n"
        "        return {**super().get_config(), 'units': self.units, 'kernel_regularizer': self.kernel_regularizer}\n"))},
        {"ex3_test_config"}, "regularizers.serialize(self.kernel_regularizer)"),
    "RegularizedDense not started": ({"ex3_regularized_dense": regularized_dense(init=(
        "    def __init__(self, units, kernel_regularizer=None, **kwargs):\n        raise NotImplementedError()\n"))},
        EX3, None, "Not done yet: `RegularizedDense.__init__` still raises NotImplementedError"),
    "CustomLoss: another default factor": ({"ex1_custom_loss": custom_loss(init=LOSS["init"].replace(
        "regularization_factor=0.1", "regularization_factor=0.01"))},
        {"ex1_test_config"}, "def __init__(self, regularization_factor=0.1, **kwargs)"),
    "CustomLoss: no default factor": ({"ex1_custom_loss": custom_loss(init=LOSS["init"].replace(
        "regularization_factor=0.1", "regularization_factor"))},
        {"ex1_test_config"}, "write the default in the signature"),
    "CustomLoss: super().__init__ never called": ({"ex1_custom_loss": custom_loss(init=(
        "    def __init__(self, regularization_factor=0.1, **kwargs):\n"
        "        self.regularization_factor = regularization_factor\n"))},
        EX1, "ex1_test_values", "you forgot to call super().__init__()"),
    "CustomLoss: the factor kept as a tensor": ({"ex1_custom_loss": custom_loss(init=LOSS["init"].replace(
        "self.regularization_factor = regularization_factor",
        "self.regularization_factor = ops.convert_to_tensor(regularization_factor)"))},
        {"ex1_test_config", "ex1_test_training"}, "ex1_test_config", "Object of type Tensor is not JSON serializable"),
    "CustomLoss: floor division for the mean": ({"ex1_custom_loss": custom_loss(call=(
        "    def call(self, y_true, y_pred):\n"
        "        return (ops.sum(ops.square(y_true - y_pred), axis=-1) // y_true.shape[-1]\n"
        "                + self.regularization_factor * ops.sum(ops.abs(y_pred), axis=-1))\n"))},
        {"ex1_test_values", "ex1_test_training"}, "ex1_test_values", "floor division (//) rounds the mean down"),
    "SparsityPenalty: floor division by the batch size": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * ops.sum(ops.abs(inputs)) // inputs.shape[0]"))},
        EX2, "ex2_test_value", "floor division (//) rounds down"),
    "SparsityPenalty: divided by the number of features": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * ops.sum(ops.abs(inputs)) / inputs.shape[1]"))},
        EX2, "ex2_test_value", "divides by the number of features"),
    "SparsityPenalty: per-row sums averaged (2-D inputs only)": ({"ex2_sparsity_penalty": sparsity_penalty(call=penalty_call(
        "self.rate * ops.mean(ops.sum(ops.abs(inputs), axis=1))"))},
        {"ex2_test_value"}, "only for inputs with two axes"),
    "SparsityPenalty: another default rate": ({"ex2_sparsity_penalty": sparsity_penalty(init=PENALTY["init"].replace(
        "rate=0.01", "rate=0.1"))},
        {"ex2_test_value"}, "SparsityPenalty() (default rate 0.01)"),
    "RegularizedDense: kernel starts at zero": ({"ex3_regularized_dense": regularized_dense(build=DENSE["build"].replace(
        "shape=(input_shape[-1], self.units), ", "shape=(input_shape[-1], self.units), initializer='zeros', "))},
        {"ex3_test_losses"}, "A constant kernel gives every unit the same output"),
    "RegularizedDense: bias starts at one": ({"ex3_regularized_dense": regularized_dense(build=DENSE["build"].replace(
        "initializer='zeros'", "initializer='ones'"))},
        {"ex3_test_losses"}, "pass initializer='zeros'"),
    "RegularizedDense: kernel sized from input_shape[1]": ({"ex3_regularized_dense": regularized_dense(build=DENSE["build"].replace(
        "input_shape[-1]", "input_shape[1]"))},
        {"ex3_test_losses"}, "use input_shape[-1]"),
    "RegularizedDense: kernel created with trainable=False": ({"ex3_regularized_dense": regularized_dense(build=DENSE["build"].replace(
        "name='kernel'", "trainable=False, name='kernel'"))},
        {"ex3_test_losses", "ex3_test_training"}, "ex3_test_losses", "this weight is learned, so it must be trainable"),
    "RegularizedDense: the regularizer kept as given": ({"ex3_regularized_dense": regularized_dense(init=DENSE["init"].replace(
        "regularizers.get(kernel_regularizer)", "kernel_regularizer"))},
        {"ex3_test_config"}, "turn it back into an object"),
}

CORRECT_VARIANTS = {
    "CustomLoss: the factor stored before super().__init__, ops.divide by the number of values": {"ex1_custom_loss": custom_loss(
        init=("    def __init__(self, regularization_factor=0.1, **kwargs):\n"
              "        self.regularization_factor = regularization_factor\n"
              "        super().__init__(**kwargs)\n"),
        call=("    def call(self, y_true, y_pred):\n"
              "        squared = ops.sum(ops.square(y_true - y_pred), axis=-1)\n"
              "        return ops.divide(squared, y_true.shape[-1]) + self.regularization_factor * ops.sum(ops.abs(y_pred), axis=-1)\n"))},
    "SparsityPenalty: len(inputs) and the rate applied last": {"ex2_sparsity_penalty": sparsity_penalty(
        call=penalty_call("ops.sum(ops.abs(inputs)) / len(inputs) * self.rate"))},
    "CustomLoss: the parent's config updated, ops.add": {"ex1_custom_loss": custom_loss(
        call=("    def call(self, y_true, y_pred):\n"
              "        error = ops.mean((y_pred - y_true) ** 2, axis=-1)\n"
              "        return ops.add(error, ops.multiply(self.regularization_factor, ops.sum(ops.abs(y_pred), axis=-1)))\n"),
        config=("    def get_config(self):\n"
                "        config = super().get_config()\n"
                "        config.update({'regularization_factor': self.regularization_factor})\n"
                "        return config\n"))},
    "SparsityPenalty: ops.shape and a mean over the batch of per-sample sums": {"ex2_sparsity_penalty": sparsity_penalty(
        call=("    def call(self, inputs):\n"
              "        per_sample = ops.sum(ops.abs(ops.reshape(inputs, (ops.shape(inputs)[0], -1))), axis=-1)\n"
              "        self.add_loss(self.rate * ops.mean(per_sample))\n"
              "        return inputs\n"),
        init=PENALTY["init"] + "\n    def get_config(self):\n        return {**super().get_config(), 'rate': self.rate}\n")},
    "RegularizedDense: positional shape, keyword order, a config built in steps": {"ex3_regularized_dense": regularized_dense(
        build=("    def build(self, input_shape):\n"
               "        self.kernel = self.add_weight(name='kernel', initializer='glorot_uniform',\n"
               "                                      shape=(input_shape[-1], self.units), regularizer=self.kernel_regularizer)\n"
               "        self.bias = self.add_weight(name='bias', shape=(self.units,), initializer='zeros')\n"),
        config=("    def get_config(self):\n"
                "        config = super().get_config()\n"
                "        config['units'] = self.units\n"
                "        config['kernel_regularizer'] = regularizers.serialize(self.kernel_regularizer)\n"
                "        return config\n"))},
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
