"""The checks of notebooks 03, 04 and 06 judged from their records alone.

Each case plays both sides in this process (the `both_sides` fixture): the test
cell runs in "probe" mode over a learner's cell, then the same test source
is judged from the records it sent. An honest answer passes there; a wrong
one fails with the explanation a learner sees in their own notebook; a
kernel that patched grading or NumPy gains nothing.
"""

import json
import re

import pytest

from mlkit.grading import judge

SCALED_DENSE = """
from mlkit import activations, initializers, layers, ops

class ScaledDense(layers.Layer):
    def __init__(self, units, activation=None, scale=1.0, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.scale = scale
        self.kernel_initializer = initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(self.scale * (ops.matmul(inputs, self.kernel) + self.bias))

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": activations.serialize(self.activation),
                       "scale": self.scale, "kernel_initializer": initializers.serialize(self.kernel_initializer)})
        return config
"""

CONFIG_TEST = """
from mlkit import grading, initializers
from mlkit.grading.config_checks import check_config_has_every_argument

with grading.exercise("ScaledDense.get_config holds every argument"):
    check_config_has_every_argument(ScaledDense, {"units": 3, "activation": "relu", "scale": 0.5})
with grading.exercise("ScaledDense.get_config stores an initializer given as an object"):
    check_config_has_every_argument(ScaledDense, {"units": 2, "kernel_initializer": initializers.RandomNormal(stddev=0.3)})
"""

ROUND_TRIP_TEST = """
import mlkit
import numpy as np
from mlkit import grading
from mlkit.grading.config_checks import check_config_round_trip

with grading.exercise("ScaledDense.from_config(layer.get_config()) recreates the layer"):
    check_config_round_trip(ScaledDense, {"units": 3, "activation": "relu", "scale": 0.5}, input_shape=(2, 4),
                            attributes=["units", "activation", "scale", "kernel_initializer"])
"""

SAVING_TEST = """
import mlkit
import numpy as np
from mlkit import grading
from mlkit.grading.config_checks import check_save_and_load

with grading.exercise("a model with ScaledDense comes back from a file"):
    loaded = check_save_and_load(lambda: mlkit.Sequential([mlkit.Input(shape=(4,)), ScaledDense(3, scale=0.7)]),
                                 np.random.default_rng(0).normal(size=(5, 4)), custom_objects={"ScaledDense": ScaledDense},
                                 checked="a model with ScaledDense(3, scale=0.7)")
    grading.check_close(loaded.layers[0].scale, 0.7, "scale of the loaded ScaledDense")
"""

STANDARDIZE = """
import numpy as np
from mlkit import layers, ops

class Standardize(layers.Layer):
    def __init__(self, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape=(input_shape[-1],), initializer="ones", trainable=False, name="variance")

    def adapt(self, data):
        if not self.built:
            self.build(data.shape)
        self.mean.assign(data.mean(axis=0))
        self.variance.assign(data.var(axis=0))

    def call(self, inputs):
        return (inputs - self.mean) / ops.sqrt(self.variance + self.epsilon)
"""

WEIGHTS_FILE_TEST = """
import mlkit
import numpy as np
from mlkit import grading, layers
from mlkit.grading.config_checks import check_weights_load_into

with grading.exercise("Standardize's weights can be loaded into a model built by code"):
    data = np.random.default_rng(2).normal(loc=3.0, scale=2.0, size=(30, 4)).astype("float32")

    def adapted_model():
        standardize = Standardize()
        standardize.adapt(data)
        return mlkit.Sequential([mlkit.Input(shape=(4,)), standardize, layers.Dense(2, kernel_initializer="ones")])

    check_weights_load_into(adapted_model, lambda: mlkit.Sequential([mlkit.Input(shape=(4,)), Standardize(), layers.Dense(2)]),
                            data[:5], checked="predictions of a model built by code, after load_weights")
"""

TEMPERATURE_SOFTMAX = """
from mlkit import layers, ops

class TemperatureSoftmax(layers.Layer):
    def __init__(self, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature

    def call(self, inputs):
        return ops.softmax(inputs / self.temperature, axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "inverse_temperature" in config:
            config["temperature"] = 1.0 / config.pop("inverse_temperature")
        return cls(**config)
"""

FROM_CONFIG_TEST = """
import mlkit
from mlkit import grading, layers
from mlkit.grading.config_checks import check_from_config_returns_the_subclass, check_model_config_loads

with grading.exercise("from_config, called on a subclass, returns the subclass"):
    check_from_config_returns_the_subclass(TemperatureSoftmax, 0.5, subclass_name="Sharpener",
                                           hint="create the layer with cls(**config)")
with grading.exercise("a model whose config comes from the old version loads"):
    def as_the_old_version_wrote_it(config):
        layer_config = config["layers"][-1]["config"]
        layer_config["inverse_temperature"] = 1.0 / layer_config.pop("temperature")

    check_model_config_loads(lambda: mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(3), TemperatureSoftmax(2.0)]),
                             as_the_old_version_wrote_it, custom_objects={"TemperatureSoftmax": TemperatureSoftmax},
                             read=lambda loaded: loaded.layers[-1].temperature, expected=2.0,
                             checked="the temperature of the last layer of a model rebuilt from an old config")
"""

CUSTOM_LOSS = """
from mlkit import losses, ops

class CustomLoss(losses.Loss):
    def __init__(self, regularization_factor=0.1, **kwargs):
        super().__init__(**kwargs)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1) + self.regularization_factor * ops.sum(ops.abs(y_pred), axis=-1)

    def get_config(self):
        return {**super().get_config(), "regularization_factor": self.regularization_factor}
"""

LOSS_TEST = """
import numpy as np
from mlkit import grading
from mlkit.grading.loss_checks import check_loss_config, check_loss_values

with grading.exercise("CustomLoss computes one value per sample, then reduces them"):
    y_true = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0]], dtype="float32")
    y_pred = np.array([[0.5, -1.0], [1.0, 0.0], [2.0, 2.0]], dtype="float32")
    per_sample = ((y_true - y_pred) ** 2).mean(axis=-1) + 0.1 * np.abs(y_pred).sum(axis=-1)
    whole_batch = np.full(3, ((y_true - y_pred) ** 2).mean() + 0.1 * np.abs(y_pred).sum())
    check_loss_values(lambda **kwargs: CustomLoss(0.1, **kwargs), y_true, y_pred, per_sample,
                      mistakes={"call reduces over the whole batch": whole_batch})
with grading.exercise("CustomLoss.get_config holds its factor, name and reduction"):
    check_loss_config(CustomLoss, {"regularization_factor": 0.5, "name": "my_loss", "reduction": "sum"})
"""

SPARSITY_PENALTY = """
from mlkit import layers, ops

class SparsityPenalty(layers.Layer):
    def __init__(self, rate=0.01, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.abs(inputs)) / inputs.shape[0])
        return inputs
"""

ADDED_LOSS_TEST = """
import numpy as np
from mlkit import grading
from mlkit.grading.loss_checks import check_added_loss

with grading.exercise("SparsityPenalty adds rate * sum(|inputs|) / batch_size and returns its inputs"):
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    check_added_loss(lambda: SparsityPenalty(0.1), x, expected=lambda x: 0.1 * np.abs(x).sum() / len(x),
                     mistakes={"the sum is not divided by the batch size": lambda x: 0.1 * np.abs(x).sum()})
"""

EARLY_STOPPING = """
import numpy as np
from mlkit import callbacks

class MyEarlyStopping(callbacks.Callback):
    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, restore_best_weights=False):
        super().__init__()
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs=None):
        self.wait, self.best, self.best_weights = 0, np.inf, None

    def on_epoch_end(self, epoch, logs=None):
        current = logs[self.monitor]
        if current < self.best - self.min_delta:
            self.best, self.wait = current, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
"""

STOPPING_TEST = """
from mlkit import grading
from mlkit.grading.callback_checks import check_fresh_start, check_restores_best_weights, check_stops_at

with grading.exercise("MyEarlyStopping stops after `patience` epochs without improvement"):
    check_stops_at(lambda: MyEarlyStopping(patience=2), [1.0, 0.8, 0.85, 0.9, 0.95, 0.7], patience=2)
with grading.exercise("MyEarlyStopping puts back the weights of the best epoch"):
    check_restores_best_weights(lambda: MyEarlyStopping(patience=2, restore_best_weights=True),
                                [1.0, 0.6, 0.7, 0.8, 0.9], restore=True)
with grading.exercise("MyEarlyStopping starts afresh in every fit"):
    check_fresh_start(lambda: MyEarlyStopping(patience=2), [1.0, 0.2], [0.9, 0.8, 0.7, 0.6], patience=2)
"""

LINEAR_WARMUP = """
from mlkit import callbacks

class LinearWarmup(callbacks.Callback):
    def __init__(self, target_learning_rate, warmup_steps):
        super().__init__()
        self.target_learning_rate, self.warmup_steps = target_learning_rate, warmup_steps

    def on_train_begin(self, logs=None):
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = self.target_learning_rate * min(1.0, (self.step + 1) / self.warmup_steps)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
"""

WARMUP_TEST = """
from mlkit import grading
from mlkit.grading.callback_checks import check_warmup_logs, check_warmup_rates

with grading.exercise("LinearWarmup raises the learning rate batch by batch, up to the target"):
    check_warmup_rates(lambda: LinearWarmup(target_learning_rate=0.1, warmup_steps=4),
                       target=0.1, warmup_steps=4, epochs=2, steps_per_epoch=3)
with grading.exercise("LinearWarmup writes each epoch's learning rate into the logs"):
    check_warmup_logs(lambda: LinearWarmup(target_learning_rate=0.1, warmup_steps=5),
                      target=0.1, warmup_steps=5, epochs=3, steps_per_epoch=2)
"""

# name: (honest learner, test cell, [(a wrong learner, what its explanation says)])
CASES = {
    "config": (SCALED_DENSE, CONFIG_TEST, [
        (SCALED_DENSE.replace('"scale": self.scale, ', ""), "add 'scale' to the config"),
        (SCALED_DENSE.replace("initializers.serialize(self.kernel_initializer)", "self.kernel_initializer"),
         "initializers.serialize(self.kernel_initializer)"),
    ]),
    "round trip": (SCALED_DENSE, ROUND_TRIP_TEST, [
        (SCALED_DENSE.replace('"scale": self.scale', '"scale": 1.0'), "the attribute scale of ScaledDense"),
        (SCALED_DENSE.replace("config = super().get_config()", "config = {}"), "ScaledDense.from_config"),
    ]),
    "saving": (SCALED_DENSE, SAVING_TEST, [
        (SCALED_DENSE.replace('"scale": self.scale, ', ""), "the predictions of a model with ScaledDense"),
        (SCALED_DENSE.replace('"units": self.units, ', ""), "saving.load_model on a file saved from"),
    ]),
    "weights file": (STANDARDIZE, WEIGHTS_FILE_TEST, [
        (STANDARDIZE.replace("self.mean.assign(data.mean(axis=0))", "self.mean = data.mean(axis=0)"),
         "predictions of a model built by code, after load_weights: "),
    ]),
    "from_config": (TEMPERATURE_SOFTMAX, FROM_CONFIG_TEST, [
        (TEMPERATURE_SOFTMAX.replace("return cls(**config)", "return TemperatureSoftmax(**config)"),
         "Got:      TemperatureSoftmax"),
        (TEMPERATURE_SOFTMAX.replace("1.0 / config.pop", "config.pop"), "Got:      0.5"),
    ]),
    "loss": (CUSTOM_LOSS, LOSS_TEST, [
        (CUSTOM_LOSS.replace(", axis=-1)", ")"), "Likely mistake: call reduces over the whole batch"),
        (CUSTOM_LOSS.replace("super().__init__(**kwargs)", "super().__init__()"), "reduction"),
        (CUSTOM_LOSS.replace("{**super().get_config(), ", "{"), "a key 'name'"),
    ]),
    "added loss": (SPARSITY_PENALTY, ADDED_LOSS_TEST, [
        (SPARSITY_PENALTY.replace(" / inputs.shape[0]", ""), "Likely mistake: the sum is not divided by the batch size"),
        (SPARSITY_PENALTY.replace("return inputs", "return inputs * 2.0"), "its inputs, unchanged"),
        (SPARSITY_PENALTY.replace("ops.sum(ops.abs(inputs))", "ops.sum(ops.abs(ops.stop_gradient(inputs)))"),
         "the gradient of the loss SparsityPenalty adds"),
    ]),
    "early stopping": (EARLY_STOPPING, STOPPING_TEST, [
        (EARLY_STOPPING.replace("self.wait >= self.patience", "self.wait > self.patience"), "stops one epoch late"),
        (EARLY_STOPPING.replace("self.model.set_weights(self.best_weights)", "pass"), "the weights of epoch 1"),
        (EARLY_STOPPING.replace("def on_train_begin(self, logs=None):\n        self.wait",
                                "def on_train_begin(self, logs=None):\n        if hasattr(self, 'wait'):\n"
                                "            return\n        self.wait"), "reset self.wait, self.best"),
    ]),
    "warm-up": (LINEAR_WARMUP, WARMUP_TEST, [
        (LINEAR_WARMUP.replace("(self.step + 1)", "(batch + 1)"), "the warm-up starts again at every epoch"),
        (LINEAR_WARMUP.replace('float(self.model.optimizer.learning_rate)', "self.model.optimizer.learning_rate"),
         'history.history["learning_rate"]'),
    ]),
}


def without_layer_numbers(lines):
    """The lines without the numbers of automatic layer names (scaled_dense_3: each run makes new layers),
    nor the configs quoted in errors (where such a name moves the point at which a long message is cut)."""
    return [re.sub(r"config=.*", "config=...", re.sub(r"scaled_dense(_\d+)?", "scaled_dense", line)) for line in lines]


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_honest_answer_passes_on_its_records_alone(both_sides, case):
    learner, test, _ = CASES[case]
    records = both_sides.probe_records(learner, test)
    assert json.loads(json.dumps(records)) == records
    assert not judge.unjudged_checks(test)
    verdict = judge.judge_cell(test, records)
    assert verdict.passed, verdict.lines
    assert verdict.lines == both_sides.local_lines(test)


WRONG = [(case, index) for case in sorted(CASES) for index in range(len(CASES[case][2]))]


@pytest.mark.parametrize("case, index", WRONG)
def test_a_wrong_answer_fails_with_the_explanation_a_learner_sees(both_sides, case, index):
    _, test, wrongs = CASES[case]
    learner, explanation = wrongs[index]
    records = both_sides.probe_records(learner, test)
    verdict = judge.judge_cell(test, records)
    assert not verdict.passed and verdict.unjudgeable is None
    assert explanation in "\n".join(verdict.lines), verdict.lines
    assert without_layer_numbers(verdict.lines) == without_layer_numbers(both_sides.local_lines(test))


@pytest.mark.parametrize("case, index", WRONG)
def test_a_kernel_that_patches_grading_or_numpy_does_not_pass(both_sides, case, index, cheat):
    _, test, wrongs = CASES[case]
    records = both_sides.probe_records(wrongs[index][0] + cheat, test)
    assert not judge.judge_cell(test, records).passed


def test_an_unfinished_callback_says_not_done_yet(both_sides):
    stub = EARLY_STOPPING.replace("current = logs[self.monitor]", "raise NotImplementedError()")
    records = both_sides.probe_records(stub, STOPPING_TEST)
    verdict = judge.judge_cell(STOPPING_TEST, records)
    assert not verdict.passed and "Not done yet" in "\n".join(verdict.lines)


def test_a_forged_run_is_judged_as_the_plain_data_it_is(both_sides):
    records = both_sides.probe_records(EARLY_STOPPING, STOPPING_TEST)
    first = next(r for r in records if r.get("name") == "check_stops_at")
    first["values"][2] = {"tuple": ["5", True, 5]}  # the epochs run, as a string
    verdict = judge.judge_cell(STOPPING_TEST, records)
    assert not verdict.passed and "do not fit it" in "\n".join(verdict.lines)
