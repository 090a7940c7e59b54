"""Notebook 08 (standard layers from the inside): the hidden tests catch the plausible wrong answers.

Each case hands one exercise a typical mistake and states which of that
exercise's test cells fail, and a phrase of the message the learner reads
(graded in this process with `grade_in_process`, on a copy of the notebook
that keeps the setup cell and that exercise's cells: the exercises are
independent, and this keeps the bank fast). Correct variants, written
differently from the solution, must pass every cell.
"""

from pathlib import Path

import nbformat
import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "solutions" / "08_standard_layers" / "standard_layers.ipynb"

# -- Exercise 1: MyDropout -------------------------------------------------------------
DROPOUT = {
    "init": ("    def __init__(self, rate, seed=None, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.rate, self.seed = rate, seed\n"
             "        self.seed_generator = random.SeedGenerator(seed)\n"),
    "call": ("    def call(self, inputs, training=False):\n"
             "        if not training:\n"
             "            return inputs\n"
             "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate\n"
             "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"),
    "config": ("    def get_config(self):\n"
               "        return {**super().get_config(), 'rate': self.rate, 'seed': self.seed}\n"),
}


def dropout(**replaced):
    return "class MyDropout(layers.Layer):\n" + "\n".join({**DROPOUT, **replaced}.values())


def dropout_call(body):
    return "    def call(self, inputs, training=False):\n        if not training:\n            return inputs\n" + body


EX1 = {"ex1_test_inference", "ex1_test_training", "ex1_test_seed_and_config"}

# -- Exercise 2: MyBatchNorm -----------------------------------------------------------
BATCH_NORM = {
    "init": ("    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.momentum, self.epsilon = momentum, epsilon\n"),
    "build": ("    def build(self, input_shape):\n"
              "        shape = (input_shape[-1],)\n"
              "        self.gamma = self.add_weight(shape=shape, initializer='ones', name='gamma')\n"
              "        self.beta = self.add_weight(shape=shape, initializer='zeros', name='beta')\n"
              "        self.moving_mean = self.add_weight(shape=shape, initializer='zeros', trainable=False, name='moving_mean')\n"
              "        self.moving_variance = self.add_weight(shape=shape, initializer='ones', trainable=False, name='moving_variance')\n"),
    "call": ("    def call(self, inputs, training=None):\n"
             "        if training and self.trainable:\n"
             "            axes = tuple(range(len(inputs.shape) - 1))\n"
             "            mean, variance = ops.mean(inputs, axis=axes), ops.var(inputs, axis=axes)\n"
             "            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1 - self.momentum))\n"
             "            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1 - self.momentum))\n"
             "        else:\n"
             "            mean, variance = self.moving_mean, self.moving_variance\n"
             "        return self.gamma * (inputs - mean) / ops.sqrt(variance + self.epsilon) + self.beta\n"),
    "config": ("    def get_config(self):\n"
               "        return {**super().get_config(), 'momentum': self.momentum, 'epsilon': self.epsilon}\n"),
}


def batch_norm(**replaced):
    return "class MyBatchNorm(layers.Layer):\n" + "\n".join({**BATCH_NORM, **replaced}.values())


def batch_norm_call(replacements):
    call = BATCH_NORM["call"]
    for old, new in replacements.items():
        assert old in call, old
        call = call.replace(old, new)
    return batch_norm(call=call)


EX2 = {"ex2_test_weights", "ex2_test_training", "ex2_test_moving_statistics", "ex2_test_frozen"}

# -- Exercise 3: MinimalRNNCell --------------------------------------------------------
CELL = {
    "init": ("    def __init__(self, units, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.units = units\n"
             "        self.state_size = units\n"),
    "build": ("    def build(self, input_shape):\n"
              "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name='kernel')\n"
              "        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer='orthogonal', name='recurrent_kernel')\n"
              "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros', name='bias')\n"),
    "call": ("    def call(self, inputs, states):\n"
             "        output = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel) + self.bias)\n"
             "        return output, [output]\n"),
    "config": "    def get_config(self):\n        return {**super().get_config(), 'units': self.units}\n",
}


def cell(**replaced):
    return "class MinimalRNNCell(layers.Layer):\n" + "\n".join({**CELL, **replaced}.values())


def cell_call(expression, returned="output, [output]"):
    return f"    def call(self, inputs, states):\n        output = {expression}\n        return {returned}\n"


EX3 = {"ex3_test_weights", "ex3_test_step", "ex3_test_sequence"}

NOT_DONE = "Not done yet"

CASES = {
    # -- MyDropout ---------------------------------------------------------------------
    "dropout active at inference": ({"ex1_my_dropout": dropout(call=(
        "    def call(self, inputs, training=False):\n"
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_inference"}, "Dropout is active at inference"),
    "dropout off only for training=False, on by default": ({"ex1_my_dropout": dropout(call=(
        "    def call(self, inputs, training=None):\n"
        "        if training is False:\n"
        "            return inputs\n"
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_inference"}, "Dropout is active at inference"),
    "call without a training parameter": ({"ex1_my_dropout": dropout(call=(
        "    def call(self, inputs):\n        return inputs\n"))},
        {"ex1_test_training", "ex1_test_seed_and_config"}, "ex1_test_training", "nothing was dropped"),
    "kept values not scaled": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype)\n"))},
        {"ex1_test_training"}, "the kept values are not scaled"),
    "kept values multiplied by 1 - rate": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) * (1 - self.rate)\n"))},
        {"ex1_test_training"}, "multiplied by (1 - rate)"),
    "kept values divided by rate": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / self.rate\n"))},
        {"ex1_test_training", "ex1_test_seed_and_config"}, "ex1_test_training", "divided by rate"),
    "keep test reversed": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator) < self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_training", "ex1_test_seed_and_config"}, "ex1_test_training", "the test is reversed"),
    "one random number for the whole batch": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform((), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_training", "ex1_test_seed_and_config"}, "ex1_test_training",
        "one random number decides for the whole batch"),
    "one random number per example": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform((ops.shape(inputs)[0], 1), seed=self.seed_generator) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_training"}, "one random number decides for each example"),
    "NumPy's global random numbers, seed ignored": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = np.random.random(inputs.shape) >= self.rate\n"
        "        return inputs * keep.astype('float32') / (1 - self.rate)\n"))},
        {"ex1_test_seed_and_config"}, "the seed is not used"),
    "the int seed repeats the same mask": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_seed_and_config"}, "the same mask twice"),
    "SeedGenerator created in call": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=random.SeedGenerator(self.seed)) >= self.rate\n"
        "        return inputs * ops.cast(keep, inputs.dtype) / (1 - self.rate)\n"))},
        {"ex1_test_seed_and_config"}, "Create the SeedGenerator once, in __init__"),
    "mask applied in NumPy, outside the graph": ({"ex1_my_dropout": dropout(call=dropout_call(
        "        keep = random.uniform(ops.shape(inputs), seed=self.seed_generator).numpy() >= self.rate\n"
        "        return ops.convert_to_tensor(inputs.numpy() * keep / (1 - self.rate))\n"))},
        {"ex1_test_training"}, "leave the graph"),
    "get_config forgets the seed": ({"ex1_my_dropout": dropout(config=(
        "    def get_config(self):\n        return {**super().get_config(), 'rate': self.rate}\n"))},
        {"ex1_test_seed_and_config"}, "'seed': self.seed"),
    "get_config without the parent's": ({"ex1_my_dropout": dropout(config=(
        "    def get_config(self):\n        return {'rate': self.rate, 'seed': self.seed}\n"))},
        {"ex1_test_seed_and_config"}, "config = super().get_config()"),
    "super().__init__() without **kwargs (MyDropout)": ({"ex1_my_dropout": dropout(
        init=DROPOUT["init"].replace("super().__init__(**kwargs)", "super().__init__()"))},
        {"ex1_test_seed_and_config"}, "pass **kwargs to super().__init__"),
    "seed without its default": ({"ex1_my_dropout": dropout(init=DROPOUT["init"].replace("seed=None", "seed"))},
        EX1, None, "missing 1 required positional argument: 'seed'"),
    "MyDropout not started": ({"ex1_my_dropout": dropout(init=(
        "    def __init__(self, rate, seed=None, **kwargs):\n        raise NotImplementedError()\n"))},
        EX1, None, NOT_DONE),
    # -- MyBatchNorm -------------------------------------------------------------------
    "moving statistics updated at inference": ({"ex2_my_batch_norm": batch_norm(call=(
        "    def call(self, inputs, training=None):\n"
        "        axes = tuple(range(len(inputs.shape) - 1))\n"
        "        mean, variance = ops.mean(inputs, axis=axes), ops.var(inputs, axis=axes)\n"
        "        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1 - self.momentum))\n"
        "        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1 - self.momentum))\n"
        "        if not (training and self.trainable):\n"
        "            mean, variance = self.moving_mean, self.moving_variance\n"
        "        return self.gamma * (inputs - mean) / ops.sqrt(variance + self.epsilon) + self.beta\n"))},
        {"ex2_test_moving_statistics", "ex2_test_frozen"}, "ex2_test_moving_statistics",
        "don't change them when training is false"),
    "unbiased variance": ({"ex2_my_batch_norm": batch_norm_call({
        "ops.var(inputs, axis=axes)":
            "ops.sum(ops.square(inputs - ops.mean(inputs, axis=axes)), axis=axes) / (ops.size(inputs) / inputs.shape[-1] - 1)"})},
        {"ex2_test_training", "ex2_test_moving_statistics"}, "the unbiased"),
    "momentum the wrong way round": ({"ex2_my_batch_norm": batch_norm_call({
        "self.moving_mean * self.momentum + mean * (1 - self.momentum)":
            "self.moving_mean * (1 - self.momentum) + mean * self.momentum",
        "self.moving_variance * self.momentum + variance * (1 - self.momentum)":
            "self.moving_variance * (1 - self.momentum) + variance * self.momentum"})},
        {"ex2_test_moving_statistics"}, "the momentum is applied the wrong way round"),
    "moving statistics replaced by the batch's": ({"ex2_my_batch_norm": batch_norm_call({
        "self.moving_mean * self.momentum + mean * (1 - self.momentum)": "mean",
        "self.moving_variance * self.momentum + variance * (1 - self.momentum)": "variance"})},
        {"ex2_test_moving_statistics"}, "replaced by the batch mean"),
    "moving statistics never updated": ({"ex2_my_batch_norm": batch_norm_call({
        "            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1 - self.momentum))\n": "",
        "            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1 - self.momentum))\n": ""})},
        {"ex2_test_moving_statistics", "ex2_test_frozen"}, "ex2_test_moving_statistics", "moving_mean was not updated"),
    "momentum argument ignored": ({"ex2_my_batch_norm": batch_norm_call({
        "self.moving_mean * self.momentum + mean * (1 - self.momentum)": "self.moving_mean * 0.99 + mean * 0.01",
        "self.moving_variance * self.momentum + variance * (1 - self.momentum)":
            "self.moving_variance * 0.99 + variance * 0.01"})},
        {"ex2_test_moving_statistics"}, "the momentum argument is ignored"),
    "frozen layer still uses batch statistics": ({"ex2_my_batch_norm": batch_norm_call({
        "if training and self.trainable:": "if training:"})},
        {"ex2_test_frozen"}, "a frozen batch normalization runs in inference mode"),
    "batch statistics at inference too": ({"ex2_my_batch_norm": batch_norm_call({
        "        else:\n            mean, variance = self.moving_mean, self.moving_variance\n": "",
        "        if training and self.trainable:\n            axes":
            "        axes = tuple(range(len(inputs.shape) - 1))\n"
            "        mean, variance = ops.mean(inputs, axis=axes), ops.var(inputs, axis=axes)\n"
            "        if training and self.trainable:\n            axes"})},
        {"ex2_test_moving_statistics"}, "the batch statistics are used at inference"),
    "statistics over the batch axis only": ({"ex2_my_batch_norm": batch_norm_call({
        "axes = tuple(range(len(inputs.shape) - 1))": "axes = 0"})},
        {"ex2_test_training", "ex2_test_moving_statistics"}, "ex2_test_training",
        "the value given to assign() has shape (3, 3, 2)"),
    "statistics computed with NumPy: no gradient through them": ({"ex2_my_batch_norm": batch_norm_call({
        "mean, variance = ops.mean(inputs, axis=axes), ops.var(inputs, axis=axes)":
            "mean, variance = inputs.numpy().mean(axis=axes), inputs.numpy().var(axis=axes)"})},
        {"ex2_test_training"}, "the gradients of MyBatchNorm"),
    "epsilon outside the square root": ({"ex2_my_batch_norm": batch_norm_call({
        "ops.sqrt(variance + self.epsilon)": "(ops.sqrt(variance) + self.epsilon)"})},
        {"ex2_test_training", "ex2_test_moving_statistics"}, "ex2_test_training",
        "epsilon is added outside the square root"),
    "gamma and beta not applied": ({"ex2_my_batch_norm": batch_norm_call({
        "return self.gamma * (inputs - mean) / ops.sqrt(variance + self.epsilon) + self.beta":
            "return (inputs - mean) / ops.sqrt(variance + self.epsilon)"})},
        {"ex2_test_training", "ex2_test_moving_statistics"}, "ex2_test_training", "gamma and beta are not applied"),
    "moving statistics trainable": ({"ex2_my_batch_norm": batch_norm(
        build=BATCH_NORM["build"].replace("trainable=False, ", ""))},
        {"ex2_test_weights", "ex2_test_moving_statistics"}, "ex2_test_weights", "pass trainable=False"),
    "beta created before gamma": ({"ex2_my_batch_norm": batch_norm(build=(
        "    def build(self, input_shape):\n"
        "        shape = (input_shape[-1],)\n"
        "        self.beta = self.add_weight(shape=shape, initializer='zeros', name='beta')\n"
        "        self.gamma = self.add_weight(shape=shape, initializer='ones', name='gamma')\n"
        "        self.moving_mean = self.add_weight(shape=shape, initializer='zeros', trainable=False, name='moving_mean')\n"
        "        self.moving_variance = self.add_weight(shape=shape, initializer='ones', trainable=False, name='moving_variance')\n"))},
        {"ex2_test_weights"}, "create gamma before beta"),
    "weights sized from the first axis": ({"ex2_my_batch_norm": batch_norm(
        build=BATCH_NORM["build"].replace("(input_shape[-1],)", "(input_shape[1],)"))},
        {"ex2_test_weights", "ex2_test_training", "ex2_test_moving_statistics"}, "ex2_test_weights",
        "use input_shape[-1]"),
    "get_config forgets epsilon": ({"ex2_my_batch_norm": batch_norm(config=(
        "    def get_config(self):\n        return {**super().get_config(), 'momentum': self.momentum}\n"))},
        {"ex2_test_weights"}, "'epsilon': self.epsilon"),
    "gamma initialized with zeros": ({"ex2_my_batch_norm": batch_norm(build=BATCH_NORM["build"].replace(
        "initializer='ones', name='gamma'", "initializer='zeros', name='gamma'"))},
        {"ex2_test_training"}, "initialize gamma with 'ones' and beta with 'zeros'"),
    "moving variance starts at zero": ({"ex2_my_batch_norm": batch_norm(build=BATCH_NORM["build"].replace(
        "initializer='ones', trainable=False, name='moving_variance'",
        "initializer='zeros', trainable=False, name='moving_variance'"))},
        {"ex2_test_moving_statistics"}, "moving_variance with 'ones'"),
    "gamma created with trainable=False": ({"ex2_my_batch_norm": batch_norm(build=BATCH_NORM["build"].replace(
        "initializer='ones', name='gamma'", "initializer='ones', trainable=False, name='gamma'"))},
        {"ex2_test_weights"}, "this weight is learned, so it must be trainable"),
    "super().__init__() without **kwargs (MyBatchNorm)": ({"ex2_my_batch_norm": batch_norm(
        init=BATCH_NORM["init"].replace("super().__init__(**kwargs)", "super().__init__()"))},
        {"ex2_test_weights"}, "super().__init__(**kwargs)"),
    "momentum without its default": ({"ex2_my_batch_norm": batch_norm(
        init=BATCH_NORM["init"].replace("momentum=0.99", "momentum"))},
        EX2, None, "missing 1 required positional argument: 'momentum'"),
    "get_config without the parent's (MyBatchNorm)": ({"ex2_my_batch_norm": batch_norm(config=(
        "    def get_config(self):\n        return {'momentum': self.momentum, 'epsilon': self.epsilon}\n"))},
        {"ex2_test_weights"}, "config = super().get_config()"),
    "momentum kept as a tensor: the config holds a tensor": ({"ex2_my_batch_norm": batch_norm(
        init=BATCH_NORM["init"].replace("self.momentum, self.epsilon = momentum, epsilon",
                                        "self.momentum, self.epsilon = ops.convert_to_tensor(momentum), epsilon"))},
        {"ex2_test_weights"}, "plain values (numbers, strings, lists, dicts) that JSON can store"),
    "MyBatchNorm not started": ({"ex2_my_batch_norm": batch_norm(call=(
        "    def call(self, inputs, training=None):\n        raise NotImplementedError()\n"))},
        EX2, None, NOT_DONE),
    # -- MinimalRNNCell ----------------------------------------------------------------
    "previous output ignored": ({"ex3_minimal_rnn_cell": cell(call=cell_call(
        "ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)"))},
        {"ex3_test_step", "ex3_test_sequence"}, "ex3_test_step", "the previous output (states[0]) is not used"),
    "tanh missing": ({"ex3_minimal_rnn_cell": cell(call=cell_call(
        "ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel) + self.bias"))},
        {"ex3_test_step", "ex3_test_sequence"}, "ex3_test_step", "the tanh is missing"),
    "recurrent kernel transposed": ({"ex3_minimal_rnn_cell": cell(call=cell_call(
        "ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], ops.transpose(self.recurrent_kernel)) + self.bias)"))},
        {"ex3_test_step", "ex3_test_sequence"}, "ex3_test_step", "the recurrent kernel is transposed"),
    "bias missing": ({"ex3_minimal_rnn_cell": cell(
        build=CELL["build"].split("        self.bias")[0],
        call=cell_call("ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))"))},
        EX3, "ex3_test_weights", "the bias is missing"),
    "state_size missing": ({"ex3_minimal_rnn_cell": cell(init=(
        "    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n        self.units = units\n"))},
        EX3, "ex3_test_step", "set self.state_size = units"),
    "two states returned": ({"ex3_minimal_rnn_cell": cell(call=cell_call(
        "ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel) + self.bias)",
        returned="output, [output, output]"))},
        {"ex3_test_step", "ex3_test_sequence"}, "ex3_test_step", "this cell has one state"),
    "kernel sized from units": ({"ex3_minimal_rnn_cell": cell(
        build=CELL["build"].replace("(input_shape[-1], self.units)", "(self.units, self.units)"))},
        EX3, "ex3_test_weights", "the shape of weight 'kernel'"),
    "get_config forgets units": ({"ex3_minimal_rnn_cell": cell(config=(
        "    def get_config(self):\n        return super().get_config()\n"))},
        {"ex3_test_weights"}, "'units': self.units"),
    "the whole list of states multiplied: ops.matmul(states, U)": ({"ex3_minimal_rnn_cell": cell(call=cell_call(
        "ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states, self.recurrent_kernel) + self.bias)"))},
        {"ex3_test_step", "ex3_test_sequence"}, None, "states is a list holding the previous output"),
    "the step computed with NumPy": ({"ex3_minimal_rnn_cell": cell(call=cell_call(
        "ops.convert_to_tensor(np.tanh(ops.convert_to_numpy(inputs) @ self.kernel.numpy() + "
        "ops.convert_to_numpy(states[0]) @ self.recurrent_kernel.numpy() + self.bias.numpy()))"))},
        {"ex3_test_sequence"}, "leaves mlkit.ops"),
    "recurrent kernel initializer ignored": ({"ex3_minimal_rnn_cell": cell(
        build=CELL["build"].replace("initializer='orthogonal', ", ""))},
        {"ex3_test_step"}, "initialize recurrent_kernel with 'orthogonal'"),
    "bias initialized with ones": ({"ex3_minimal_rnn_cell": cell(
        build=CELL["build"].replace("initializer='zeros', name='bias'", "initializer='ones', name='bias'"))},
        {"ex3_test_step"}, "initialize the bias with 'zeros'"),
    "super().__init__() without **kwargs (MinimalRNNCell)": ({"ex3_minimal_rnn_cell": cell(
        init=CELL["init"].replace("super().__init__(**kwargs)", "super().__init__()"))},
        {"ex3_test_weights"}, "pass **kwargs to super().__init__"),
    "MinimalRNNCell not started": ({"ex3_minimal_rnn_cell": cell(call=(
        "    def call(self, inputs, states):\n        raise NotImplementedError()\n"))},
        EX3, None, NOT_DONE),
}

CORRECT_VARIANTS = {
    "MinimalRNNCell: initializer objects, the bias's given explicitly": {"ex3_minimal_rnn_cell": cell(build=(
        "    def build(self, input_shape):\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=mlkit.initializers.GlorotUniform(), name='kernel')\n"
        "        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer=mlkit.initializers.Orthogonal(), name='recurrent_kernel')\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer=mlkit.initializers.Zeros(), name='bias')\n"))},
    "MyDropout: ops.where, training=None, greater_equal": {"ex1_my_dropout": dropout(call=(
        "    def call(self, inputs, training=None):\n"
        "        if training:\n"
        "            draw = random.uniform(ops.shape(inputs), seed=self.seed_generator)\n"
        "            return ops.where(ops.greater_equal(draw, self.rate), inputs / (1.0 - self.rate), ops.zeros_like(inputs))\n"
        "        return inputs\n"))},
    "MyDropout: mlkit's random.dropout": {"ex1_my_dropout": dropout(call=dropout_call(
        "        return random.dropout(inputs, self.rate, seed=self.seed_generator)\n"))},
    "MyBatchNorm: ops.moments, keepdims, explicit update steps": {"ex2_my_batch_norm": batch_norm(call=(
        "    def call(self, inputs, training=None):\n"
        "        if not training or not self.trainable:\n"
        "            normalized = (inputs - self.moving_mean) * ops.rsqrt(self.moving_variance + self.epsilon)\n"
        "            return normalized * self.gamma + self.beta\n"
        "        axes = list(range(inputs.ndim - 1))\n"
        "        mean, variance = ops.moments(inputs, axes=axes)\n"
        "        m = self.momentum\n"
        "        self.moving_mean.assign(m * self.moving_mean + (1 - m) * mean)\n"
        "        self.moving_variance.assign(m * self.moving_variance + (1 - m) * variance)\n"
        "        return self.gamma * (inputs - mean) / ops.sqrt(variance + self.epsilon) + self.beta\n"))},
    "MinimalRNNCell: state_size property, a bare state, ops.dot": {"ex3_minimal_rnn_cell": cell(
        init="    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n        self.units = units\n\n"
             "    @property\n    def state_size(self):\n        return self.units\n",
        call=("    def call(self, inputs, states):\n"
              "        (previous_output,) = states\n"
              "        output = ops.tanh(ops.dot(inputs, self.kernel) + ops.dot(previous_output, self.recurrent_kernel) + self.bias)\n"
              "        return output, output\n"))},
}


@pytest.fixture(scope="module")
def exercise_notebooks(tmp_path_factory):
    """{exercise number: a copy of the notebook with the setup cell and that exercise's cells only}."""
    book = nbformat.read(NOTEBOOK, as_version=4)
    folder = tmp_path_factory.mktemp("notebook_08")
    paths = {}
    for number in (1, 2, 3):
        copy = nbformat.v4.new_notebook(metadata=book.metadata)
        copy.cells = [c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id", "") == "setup"
                      or c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(f"ex{number}_")]
        paths[number] = folder / f"ex{number}.ipynb"
        nbformat.write(copy, paths[number])
    return paths


def _exercise_of(answers):
    (grade_id,) = answers
    return int(grade_id[2])


def test_the_instructor_solutions_pass_everything():
    results = grade_in_process(NOTEBOOK)
    assert len(results) == 10 and failures(results) == {}


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes_everything(name, exercise_notebooks):
    answers = CORRECT_VARIANTS[name]
    results = grade_in_process(exercise_notebooks[_exercise_of(answers)], answers)
    assert results and failures(results) == {}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # some wrong answers divide by zero
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name, exercise_notebooks):
    answers, failing, cell, phrase = CASES[name] if len(CASES[name]) == 4 else (*CASES[name][:2], None, CASES[name][2])
    results = grade_in_process(exercise_notebooks[_exercise_of(answers)], answers)
    assert wrong_verdicts(results, failing, phrase, cell) == []
