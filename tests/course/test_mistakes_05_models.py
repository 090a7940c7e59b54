"""05 · Models and training: the hidden tests catch the plausible wrong answers, and say why.

Each case hands one exercise a typical mistake (graded in this process with
`grade_in_process`; the instructor's solutions stand in for the other
exercises) and states which test cells fail and a phrase of the message the
learner reads there. Correct variants (other valid ways to write an answer)
must pass every test cell.
"""

from pathlib import Path

import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "05_models_and_training" / "models_and_training.ipynb"


# -- answers, assembled from parts ---------------------------------------------

MULTI_INPUT = {
    "init": "    def __init__(self, units=64, **kwargs):\n        super().__init__(**kwargs)\n        self.units = units\n",
    "build": (
        "    def build(self, input_shape):\n"
        "        shape1, shape2 = input_shape\n"
        "        self.kernel1 = self.add_weight(shape=(shape1[-1], self.units), initializer='glorot_uniform', name='kernel1')\n"
        "        self.kernel2 = self.add_weight(shape=(shape2[-1], self.units), initializer='glorot_uniform', name='kernel2')\n"
    ),
    "call": (
        "    def call(self, inputs):\n"
        "        input1, input2 = inputs\n"
        "        return ops.concatenate([ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)], axis=-1)\n"
    ),
}


def multi_input(**replaced):
    return "class MultiInputLayer(layers.Layer):\n" + "\n".join({**MULTI_INPUT, **replaced}.values())


CLASSIFIER = {
    "init": (
        "    def __init__(self, hidden_units=64, dropout_rate=0.2, num_classes=10, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.hidden = layers.Dense(hidden_units, activation='relu')\n"
        "        self.dropout = layers.Dropout(dropout_rate)\n"
        "        self.classifier = layers.Dense(num_classes, activation='softmax')\n"
    ),
    "call": (
        "    def call(self, inputs, training=False):\n"
        "        return self.classifier(self.dropout(self.hidden(inputs), training=training))\n"
    ),
}


def classifier(**replaced):
    return "class DigitClassifier(mlkit.Model):\n" + "\n".join({**CLASSIFIER, **replaced}.values())


STEP = {
    "init": (
        "    def __init__(self, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.loss_fn = losses.MeanSquaredError()\n"
        "        self.loss_tracker = metrics.Mean(name='loss')\n"
        "        self.mae_metric = metrics.MeanAbsoluteError(name='mae')\n"
    ),
    "forward": (
        "    def train_step(self, data):\n"
        "        x, y = data\n"
        "        with mlkit.GradientTape() as tape:\n"
        "            y_pred = self(x, training=True)\n"
        "            loss = self.loss_fn(y, y_pred)\n"
    ),
    "update": (
        "        variables = self.trainable_variables\n"
        "        self.optimizer.apply(tape.gradient(loss, variables), variables)\n"
    ),
    "track": (
        "        self.loss_tracker.update_state(loss)\n"
        "        self.mae_metric.update_state(y, y_pred)\n"
        "        return {'loss': self.loss_tracker.result(), 'mae': self.mae_metric.result()}\n"
    ),
    "metrics": "\n    @property\n    def metrics(self):\n        return [self.loss_tracker, self.mae_metric]\n",
}


# The step as the notebook writes it (torch style), in one part.
TORCH_STEP = (
    "    def train_step(self, data):\n"
    "        x, y = data\n"
    "        self.zero_grad()\n"
    "        y_pred = self(x, training=True)\n"
    "        loss = self.loss_fn(y, y_pred)\n"
    "        loss.backward()\n"
    "        variables = self.trainable_variables\n"
    "        self.optimizer.apply([v.value.grad for v in variables], variables)\n"
    "        self.loss_tracker.update_state(loss)\n"
    "        self.mae_metric.update_state(y, y_pred)\n"
    "        return {'loss': self.loss_tracker.result(), 'mae': self.mae_metric.result()}\n"
)


def regressor(**replaced):
    return "class CustomRegressor(Regressor):\n" + "".join({**STEP, **replaced}.values())


LOG1PEXP = (
    "@ops.custom_gradient\n"
    "def log1pexp(x):\n"
    "    e = ops.exp(x)\n"
    "    def grad(*args, upstream=None):\n"
    "        if upstream is None:\n"
    "            (upstream,) = args\n"
    "        return {gradient}\n"
    "    return {forward}, grad\n"
)
CLIP = (
    "@ops.custom_gradient\n"
    "def clip_gradient(x):\n"
    "    def grad(*args, upstream=None):\n"
    "        if upstream is None:\n"
    "            (upstream,) = args\n"
    "        return {gradient}\n"
    "    return {forward}, grad\n"
)


def gradients(log_gradient="upstream * (1.0 - 1.0 / (1.0 + e))", log_forward="ops.log(1.0 + e)",
              clip_gradient="ops.clip(upstream, -1.0, 1.0)", clip_forward="x"):
    return (LOG1PEXP.format(gradient=log_gradient, forward=log_forward) + "\n\n"
            + CLIP.format(gradient=clip_gradient, forward=clip_forward))


EX1 = {"ex1_test_weights", "ex1_test_output", "ex1_test_model"}
EX2 = {"ex2_test_layers", "ex2_test_dropout", "ex2_test_fit"}

# name: (answers, the test cells that must fail, the cell to read (None: every failing one), a phrase of its message)
MISTAKES = {
    # -- Exercise 1 · MultiInputLayer ---------------------------------------------------
    "kernels created in call": ({"ex1_multi_input_layer": multi_input(build="", call=(
        "    def call(self, inputs):\n"
        "        input1, input2 = inputs\n"
        "        self.kernel1 = self.add_weight(shape=(input1.shape[-1], self.units), name='kernel1')\n"
        "        self.kernel2 = self.add_weight(shape=(input2.shape[-1], self.units), name='kernel2')\n"
        "        return ops.concatenate([ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)], axis=-1)\n"))},
        EX1, "ex1_test_weights", "weights are created in call()"),
    "kernels sized from the other input": ({"ex1_multi_input_layer": multi_input(
        build=MULTI_INPUT["build"].replace("shape=(shape1[-1]", "shape=(SHAPE2").replace("shape=(shape2[-1]", "shape=(shape1[-1]")
                                  .replace("SHAPE2", "shape2[-1]"),
        call=MULTI_INPUT["call"].replace("ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)",
                                         "ops.matmul(input2, self.kernel1), ops.matmul(input1, self.kernel2)"))},
        {"ex1_test_weights", "ex1_test_output"}, "ex1_test_weights", "kernel1 is sized from input 2"),
    "kernel sized from a middle axis": ({"ex1_multi_input_layer": multi_input(
        build=MULTI_INPUT["build"].replace("shape1[-1]", "shape1[1]").replace("shape2[-1]", "shape2[1]"))},
        {"ex1_test_weights", "ex1_test_output"}, "ex1_test_weights", "use input_shape[0][-1]"),
    "halves in the wrong order": ({"ex1_multi_input_layer": multi_input(call=MULTI_INPUT["call"].replace(
        "[ops.matmul(input1, self.kernel1), ops.matmul(input2, self.kernel2)]",
        "[ops.matmul(input2, self.kernel2), ops.matmul(input1, self.kernel1)]"))},
        {"ex1_test_output"}, None, "wrong order: input1 @ kernel1 comes first"),
    "projections added": ({"ex1_multi_input_layer": multi_input(call=(
        "    def call(self, inputs):\n"
        "        input1, input2 = inputs\n"
        "        return ops.matmul(input1, self.kernel1) + ops.matmul(input2, self.kernel2)\n"))},
        {"ex1_test_output", "ex1_test_model"}, "ex1_test_output", "the projections are added"),
    "joined along the batch axis": ({"ex1_multi_input_layer": multi_input(call=MULTI_INPUT["call"].replace("axis=-1", "axis=0"))},
        {"ex1_test_output", "ex1_test_model"}, "ex1_test_output", "use axis=-1"),
    "kernels not named": ({"ex1_multi_input_layer": multi_input(
        build=MULTI_INPUT["build"].replace(", name='kernel1'", "").replace(", name='kernel2'", ""))},
        {"ex1_test_weights", "ex1_test_output"}, None, "name='kernel1'"),
    "kernel2 created first": ({"ex1_multi_input_layer": multi_input(build=(
        "    def build(self, input_shape):\n"
        "        shape1, shape2 = input_shape\n"
        "        self.kernel2 = self.add_weight(shape=(shape2[-1], self.units), name='kernel2')\n"
        "        self.kernel1 = self.add_weight(shape=(shape1[-1], self.units), name='kernel1')\n"))},
        {"ex1_test_weights"}, None, "create kernel1 first"),
    "a bias too": ({"ex1_multi_input_layer": multi_input(
        build=MULTI_INPUT["build"] + "        self.bias = self.add_weight(shape=(2 * self.units,), initializer='zeros', name='bias')\n",
        call=MULTI_INPUT["call"].replace("axis=-1)", "axis=-1) + self.bias"))},
        {"ex1_test_weights", "ex1_test_output", "ex1_test_model"}, "ex1_test_weights", "only the weights the exercise asks for"),
    "kwargs not passed on": ({"ex1_multi_input_layer": multi_input(
        init="    def __init__(self, units=64, **kwargs):\n        super().__init__()\n        self.units = units\n")},
        {"ex1_test_weights"}, None, "super().__init__(**kwargs)"),
    "NumPy in call": ({"ex1_multi_input_layer": multi_input(call=(
        "    def call(self, inputs):\n"
        "        input1, input2 = inputs\n"
        "        return np.concatenate([input1.numpy() @ self.kernel1.numpy(), input2.numpy() @ self.kernel2.numpy()], axis=-1)\n"))},
        {"ex1_test_output"}, None, "never NumPy"),
    "units without its default": ({"ex1_multi_input_layer": multi_input(init=MULTI_INPUT["init"].replace("units=64", "units"))},
        {"ex1_test_weights"}, None, "missing 1 required positional argument: 'units'"),
    "kernels created with trainable=False": ({"ex1_multi_input_layer": multi_input(build=MULTI_INPUT["build"].replace(
        "name='kernel1'", "trainable=False, name='kernel1'").replace("name='kernel2'", "trainable=False, name='kernel2'"))},
        {"ex1_test_weights"}, None, "create them trainable"),
    "kernels initialized with zeros": ({"ex1_multi_input_layer": multi_input(build=MULTI_INPUT["build"].replace(
        "initializer='glorot_uniform'", "initializer='zeros'"))},
        {"ex1_test_weights"}, None, "initializer='glorot_uniform'"),
    "MultiInputLayer not started": ({"ex1_multi_input_layer": multi_input(
        init="    def __init__(self, units=64, **kwargs):\n        raise NotImplementedError()\n")},
        EX1, None, "Not done yet: `MultiInputLayer.__init__`"),
    "the cell defining MultiInputLayer fails": ({"ex1_multi_input_layer": "from mlkit import layer\n\n" + multi_input()},
        EX1, None, "the cell that defines it stopped with an error"),
    # -- Exercise 2 · DigitClassifier -----------------------------------------------------
    "layers created in call": ({"ex2_digit_classifier": classifier(
        init=("    def __init__(self, hidden_units=64, dropout_rate=0.2, num_classes=10, **kwargs):\n"
              "        super().__init__(**kwargs)\n"
              "        self.settings = (hidden_units, dropout_rate, num_classes)\n"),
        call=("    def call(self, inputs, training=False):\n"
              "        hidden_units, dropout_rate, num_classes = self.settings\n"
              "        self.hidden = layers.Dense(hidden_units, activation='relu')\n"
              "        self.dropout = layers.Dropout(dropout_rate)\n"
              "        self.classifier = layers.Dense(num_classes, activation='softmax')\n"
              "        return self.classifier(self.dropout(self.hidden(inputs), training=training))\n"))},
        EX2, "ex2_test_dropout", "the layers are created again on every call"),
    "dropout forced on": ({"ex2_digit_classifier": classifier(call=CLASSIFIER["call"].replace("training=training)", "training=True)"))},
        {"ex2_test_dropout"}, None, "Dropout is active at inference"),
    "dropout forced off": ({"ex2_digit_classifier": classifier(call=CLASSIFIER["call"].replace("training=training)", "training=False)"))},
        {"ex2_test_dropout"}, None, "Dropout never acts"),
    "dropout left out of call": ({"ex2_digit_classifier": classifier(call=(
        "    def call(self, inputs, training=False):\n        return self.classifier(self.hidden(inputs))\n"))},
        {"ex2_test_dropout"}, None, "Dropout never acts"),
    "no softmax": ({"ex2_digit_classifier": classifier(init=CLASSIFIER["init"].replace(", activation='softmax'", ""))},
        {"ex2_test_layers", "ex2_test_fit"}, "ex2_test_layers", "activation='softmax'"),
    "hidden_units ignored": ({"ex2_digit_classifier": classifier(init=CLASSIFIER["init"].replace("Dense(hidden_units", "Dense(64"))},
        {"ex2_test_layers"}, None, "the shapes of model.weights"),
    "num_classes ignored": ({"ex2_digit_classifier": classifier(init=CLASSIFIER["init"].replace("Dense(num_classes", "Dense(10"))},
        {"ex2_test_layers"}, None, "use num_classes"),
    "dropout_rate ignored": ({"ex2_digit_classifier": classifier(init=CLASSIFIER["init"].replace("Dropout(dropout_rate)", "Dropout(0.5)"))},
        {"ex2_test_dropout"}, None, "layers.Dropout(dropout_rate)"),
    "layers created in the wrong order": ({"ex2_digit_classifier": classifier(init=(
        "    def __init__(self, hidden_units=64, dropout_rate=0.2, num_classes=10, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.classifier = layers.Dense(num_classes, activation='softmax')\n"
        "        self.hidden = layers.Dense(hidden_units, activation='relu')\n"
        "        self.dropout = layers.Dropout(dropout_rate)\n"))},
        {"ex2_test_layers"}, None, "in this order"),
    "dropout on the inputs": ({"ex2_digit_classifier": classifier(call=(
        "    def call(self, inputs, training=False):\n"
        "        return self.classifier(self.hidden(self.dropout(inputs, training=training)))\n"))},
        {"ex2_test_dropout"}, None, "Dropout is applied to the inputs"),
    "dropout after the classifier": ({"ex2_digit_classifier": classifier(call=(
        "    def call(self, inputs, training=False):\n"
        "        return self.dropout(self.classifier(self.hidden(inputs)), training=training)\n"))},
        {"ex2_test_dropout"}, None, "Dropout is applied after the classifier"),
    "hidden layer without its activation": ({"ex2_digit_classifier": classifier(
        init=CLASSIFIER["init"].replace(", activation='relu'", ""))},
        {"ex2_test_dropout"}, None, "the hidden layer has no activation"),
    "hidden_units without its default": ({"ex2_digit_classifier": classifier(
        init=CLASSIFIER["init"].replace("hidden_units=64", "hidden_units"))},
        {"ex2_test_layers", "ex2_test_dropout"}, None, "missing 1 required positional argument: 'hidden_units'"),
    "kwargs not passed to Model": ({"ex2_digit_classifier": classifier(init=CLASSIFIER["init"].replace(
        "super().__init__(**kwargs)", "super().__init__()"))},
        {"ex2_test_layers"}, None, "super().__init__(**kwargs)"),
    # -- Exercise 3 · CustomRegressor.train_step -----------------------------------------
    "gradients of the last layer only": ({"ex3_custom_regressor": regressor(update=(
        "        variables = self.head.trainable_variables\n"
        "        self.optimizer.apply(tape.gradient(loss, variables), variables)\n"))},
        {"ex3_test_update"}, None, "this weight was not updated"),
    "forward pass outside the tape": ({"ex3_custom_regressor": regressor(forward=(
        "    def train_step(self, data):\n"
        "        x, y = data\n"
        "        y_pred = self(x, training=True)\n"
        "        loss = self.loss_fn(y, y_pred)\n"
        "        with mlkit.GradientTape() as tape:\n"
        "            pass\n"))},
        {"ex3_test_update", "ex3_test_metrics"}, None, "computed from the model's output inside the GradientTape"),
    "optimizer never applied": ({"ex3_custom_regressor": regressor(update=(
        "        gradients = tape.gradient(loss, self.trainable_variables)\n"))},
        {"ex3_test_update"}, None, "no weight changed"),
    "update applied twice": ({"ex3_custom_regressor": regressor(update=(
        "        variables = self.trainable_variables\n"
        "        gradients = tape.gradient(loss, variables)\n"
        "        self.optimizer.apply(gradients, variables)\n"
        "        self.optimizer.apply(gradients, variables)\n"))},
        {"ex3_test_update"}, None, "exactly once per step"),
    "mean absolute error as the loss": ({"ex3_custom_regressor": regressor(forward=STEP["forward"].replace(
        "loss = self.loss_fn(y, y_pred)", "loss = losses.MeanAbsoluteError()(y, y_pred)"))},
        {"ex3_test_update", "ex3_test_metrics"}, "ex3_test_update", "gradient of the mean squared error"),
    "returns the batch loss": ({"ex3_custom_regressor": regressor(track=(
        "        self.mae_metric.update_state(y, y_pred)\n"
        "        return {'loss': loss, 'mae': self.mae_metric.result()}\n"))},
        {"ex3_test_metrics"}, None, "not the running mean"),
    "mae never updated": ({"ex3_custom_regressor": regressor(track=(
        "        self.loss_tracker.update_state(loss)\n"
        "        return {'loss': self.loss_tracker.result(), 'mae': self.mae_metric.result()}\n"))},
        {"ex3_test_metrics"}, None, "self.mae_metric is never updated"),
    "loss tracked twice": ({"ex3_custom_regressor": regressor(track=(
        "        self.loss_tracker.update_state(2 * loss)\n" + STEP["track"].split("\n", 1)[1]))},
        {"ex3_test_metrics"}, None, "updated twice"),
    "returns the metric objects": ({"ex3_custom_regressor": regressor(track=(
        "        self.loss_tracker.update_state(loss)\n"
        "        self.mae_metric.update_state(y, y_pred)\n"
        "        return {'loss': self.loss_tracker, 'mae': self.mae_metric}\n"))},
        {"ex3_test_metrics"}, None, "self.loss_tracker.result(), not the metric"),
    "no mae in the logs": ({"ex3_custom_regressor": regressor(track=(
        "        self.loss_tracker.update_state(loss)\n"
        "        return {'loss': self.loss_tracker.result()}\n"))},
        {"ex3_test_metrics"}, None, 'the keys "loss" and "mae"'),
    "metrics lists only the loss tracker": ({"ex3_custom_regressor": regressor(
        metrics="\n    @property\n    def metrics(self):\n        return [self.loss_tracker]\n")},
        {"ex3_test_metrics"}, None, "return [self.loss_tracker, self.mae_metric]"),
    "metrics computed after the optimizer step": ({"ex3_custom_regressor": regressor(track=(
        "        y_pred = self(x, training=True)\n"
        "        self.loss_tracker.update_state(self.loss_fn(y, y_pred))\n"
        "        self.mae_metric.update_state(y, y_pred)\n"
        "        return {'loss': self.loss_tracker.result(), 'mae': self.mae_metric.result()}\n"))},
        {"ex3_test_metrics"}, None, "the metrics are computed after the optimizer step"),
    "zero_grad forgotten: gradients add up from step to step": ({"ex3_custom_regressor": regressor(
        forward=TORCH_STEP.replace("        self.zero_grad()\n", ""), update="", track="")},
        {"ex3_test_update"}, None, "clear them first in every step, with self.zero_grad()"),
    "train_step not started": ({"ex3_custom_regressor": regressor(
        forward="    def train_step(self, data):\n        x, y = data\n        raise NotImplementedError()\n", update="", track="")},
        {"ex3_test_update", "ex3_test_metrics"}, None, "Not done yet: `CustomRegressor.train_step`"),
    "metrics property not started": ({"ex3_custom_regressor": regressor(
        metrics="\n    @property\n    def metrics(self):\n        raise NotImplementedError()\n")},
        {"ex3_test_metrics"}, None, "Not done yet: `CustomRegressor.metrics`"),
    # -- Exercise 4 · custom gradients ---------------------------------------------------------
    "log1pexp: the chained gradient overflows": ({"ex4_custom_gradients": gradients(log_gradient="upstream * e / (1.0 + e)")},
        {"ex4_test_log1pexp"}, None, "inf / inf = nan"),
    "log1pexp: upstream forgotten": ({"ex4_custom_gradients": gradients(log_gradient="1.0 - 1.0 / (1.0 + e)")},
        {"ex4_test_log1pexp"}, None, "upstream"),
    "log1pexp: wrong forward": ({"ex4_custom_gradients": gradients(log_forward="ops.log(e)")},
        {"ex4_test_log1pexp"}, None, "return ops.log(1 + e)"),
    "clip_gradient clips the forward pass": ({"ex4_custom_gradients": gradients(clip_forward="ops.clip(x, -1.0, 1.0)",
                                                                              clip_gradient="upstream")},
        {"ex4_test_clip_gradient"}, None, "returns x unchanged"),
    "clip_gradient does not clip": ({"ex4_custom_gradients": gradients(clip_gradient="upstream")},
        {"ex4_test_clip_gradient"}, None, "the gradient is not clipped"),
    "clip_gradient clips one side": ({"ex4_custom_gradients": gradients(clip_gradient="ops.minimum(upstream, 1.0)")},
        {"ex4_test_clip_gradient"}, None, "only large positive gradients are clipped"),
    "clip_gradient clips x": ({"ex4_custom_gradients": gradients(clip_gradient="ops.clip(x, -1.0, 1.0)")},
        {"ex4_test_clip_gradient"}, None, "grad clips x, not the gradient"),
    "custom gradients not started": ({"ex4_custom_gradients": (
        "@ops.custom_gradient\ndef log1pexp(x):\n    raise NotImplementedError()\n\n"
        "@ops.custom_gradient\ndef clip_gradient(x):\n    raise NotImplementedError()\n")},
        {"ex4_test_log1pexp", "ex4_test_clip_gradient"}, None, "Not done yet"),
}

CORRECT_VARIANTS = {
    "MultiInputLayer with an initializer object": {"ex1_multi_input_layer": multi_input(
        build=MULTI_INPUT["build"].replace("initializer='glorot_uniform'", "initializer=mlkit.initializers.GlorotUniform()"))},
    "DigitClassifier applying the ReLU in call, before Dropout": {"ex2_digit_classifier": classifier(
        init=CLASSIFIER["init"].replace(", activation='relu'", ""),
        call=("    def call(self, inputs, training=False):\n"
              "        hidden = ops.relu(self.hidden(inputs))\n"
              "        return self.classifier(self.dropout(hidden, training=training))\n"))},
    "MultiInputLayer with a list of kernels and ops.concatenate of a comprehension": {"ex1_multi_input_layer": multi_input(
        build=("    def build(self, input_shape):\n"
               "        self.kernels = [self.add_weight(shape=(shape[-1], self.units), name=f'kernel{i + 1}')\n"
               "                        for i, shape in enumerate(input_shape)]\n"),
        call=("    def call(self, inputs):\n"
              "        return ops.concatenate([ops.matmul(x, k) for x, k in zip(inputs, self.kernels)], axis=-1)\n"))},
    "DigitClassifier relying on the training flag reaching Dropout by itself": {"ex2_digit_classifier": classifier(call=(
        "    def call(self, inputs):\n        return self.classifier(self.dropout(self.hidden(inputs)))\n"))},
    "train_step with apply_gradients and an explicit mean squared error": {"ex3_custom_regressor": regressor(
        forward=STEP["forward"].replace("loss = self.loss_fn(y, y_pred)", "loss = ops.mean(ops.square(y - y_pred))"),
        update=("        gradients = tape.gradient(loss, self.trainable_variables)\n"
                "        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))\n"))},
    "train_step written torch-style, as the notebook shows": {"ex3_custom_regressor": regressor(
        forward=TORCH_STEP, update="", track="")},
    "no metrics property (metric attributes are tracked anyway, as in Keras 3)": {"ex3_custom_regressor": regressor(metrics="")},
    "grad(upstream) with one positional parameter, ops.sigmoid": {"ex4_custom_gradients": (
        "@ops.custom_gradient\ndef log1pexp(x):\n    e = ops.exp(x)\n"
        "    def grad(upstream):\n        return upstream * ops.sigmoid(x)\n"
        "    return ops.log(1 + e), grad\n\n"
        "@ops.custom_gradient\ndef clip_gradient(x):\n"
        "    def grad(upstream):\n        return ops.minimum(ops.maximum(upstream, -1.0), 1.0)\n"
        "    return x, grad\n")},
}


def test_the_instructor_solution_passes_everything():
    assert failures(grade_in_process(NOTEBOOK)) == {}


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name):
    answers, failing, cell, phrase = MISTAKES[name]
    assert wrong_verdicts(grade_in_process(NOTEBOOK, answers), failing, phrase, cell) == []


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes(name):
    assert failures(grade_in_process(NOTEBOOK, CORRECT_VARIANTS[name])) == {}
