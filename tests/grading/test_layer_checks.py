"""The layer checks pass a correct layer and name each plausible mistake.

Each wrong layer below is a subclass of a correct one that changes one
thing; the test states the phrase its failure message must contain.
"""

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops
from mlkit.grading import (
    GradingFailure, check_builds_lazily, check_config, check_counter_advances, check_forwards_base_arguments,
    check_gradients, check_layer_gradients, check_layer_output, check_losses_reset, check_output_shape,
    check_state_frozen_at_inference, check_weight_shapes, check_weights, check_weights_created_once,
)
from mlkit.grading.layer_building import check_initial_weights


class Linear(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class EagerLinear(Linear):
    def __init__(self, units=32, **kwargs):
        super().__init__(units, **kwargs)
        self.build((None, 3))


class RebuildingLinear(Linear):
    def call(self, inputs):
        self.build(inputs.shape)
        return super().call(inputs)


class BuildsTwiceLinear(Linear):
    """build() runs its body twice: four weights where two belong."""

    def build(self, input_shape):
        super().build(input_shape)
        super().build(input_shape)


class NumpyWeightsLinear(Linear):
    def build(self, input_shape):
        self.kernel = np.ones((input_shape[-1], self.units), dtype="float32")
        self.bias = np.zeros(self.units, dtype="float32")


class TransposedLinear(Linear):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.units, input_shape[-1]), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, ops.transpose(self.kernel)) + self.bias


class SecondAxisLinear(Linear):
    def build(self, input_shape):
        super().build((None, input_shape[1]))


class BiasFirstLinear(Linear):
    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")


class NoBiasLinear(Linear):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)


class UnnamedLinear(Linear):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")


class BiasIgnoredLinear(Linear):
    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)


class FrozenBiasLinear(Linear):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", trainable=False, name="bias")


class NoKwargsLinear(Linear):
    def __init__(self, units=32):
        super().__init__(units)


class KwargsDroppedLinear(Linear):
    def __init__(self, units=32, **kwargs):
        super().__init__(units)


class NumpyLinear(Linear):
    def call(self, inputs):
        return inputs.numpy() @ self.kernel.numpy() + self.bias.numpy()


class WrongGradientLinear(Linear):
    def call(self, inputs):
        @ops.custom_gradient
        def doubled_gradient(x):
            return x, lambda upstream: 2 * upstream

        return doubled_gradient(super().call(inputs))


class BatchOnlyShapeLinear(Linear):
    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)


class ListShapeLinear(Linear):
    def compute_output_shape(self, input_shape):
        return list(input_shape[:-1]) + [self.units]


class KernelShapeLinear(Linear):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.kernel.shape[-1],)


class NoShapeLinear(Linear):
    compute_output_shape = layers.Layer.compute_output_shape


class NoUnitsConfigLinear(Linear):
    def get_config(self):
        return super(Linear, self).get_config()


class NoParentConfigLinear(Linear):
    def get_config(self):
        return {"units": self.units}


def failure_of(function, *args, **kwargs):
    with pytest.raises(GradingFailure) as caught:
        function(*args, **kwargs)
    return str(caught.value)


def test_a_correct_layer_passes_every_check():
    check_builds_lazily(lambda: Linear(4), input_shape=(2, 3))
    check_weights_created_once(lambda: Linear(4), input_shape=(2, 3))
    check_weights(Linear(4), [("kernel", (3, 4), True), ("bias", (4,), True)], input_shape=(2, 3))
    check_weight_shapes(lambda: Linear(5), (4, 3, 6), {"kernel": (6, 5), "bias": (5,)})
    check_forwards_base_arguments(lambda **kwargs: Linear(2, **kwargs), input_shape=(3, 4))
    check_layer_output(lambda: Linear(3), np.ones((2, 4)), lambda x, w: x @ w["kernel"] + w["bias"])
    check_output_shape(lambda: Linear(4), (None, 5, 3), (None, 5, 4))
    check_layer_gradients(lambda: Linear(3), (2, 4))
    check_config(Linear, {"units": 7})


@pytest.mark.parametrize("layer_class, phrase", [
    (EagerLinear, "the weights are created in __init__"),
    (RebuildingLinear, "don't call self.build yourself"),
    (NumpyWeightsLinear, "NumPy arrays are not tracked as weights"),
])
def test_builds_lazily_names_the_mistake(layer_class, phrase):
    assert phrase in failure_of(check_builds_lazily, lambda: layer_class(4), input_shape=(2, 3))


def test_weights_made_in_call_are_named():
    class CallMadeLinear(Linear):
        def build(self, input_shape):
            pass

        def call(self, inputs):
            self.kernel = self.add_weight(shape=(inputs.shape[-1], self.units), name="kernel")
            return ops.matmul(inputs, self.kernel)

    assert "weights are created in call()" in failure_of(check_builds_lazily, lambda: CallMadeLinear(2), (1, 3))


class RunningSum(layers.Layer):
    """Correct: a non-trainable total that every call adds to (its output changes too)."""

    def build(self, input_shape):
        self.total = self.add_weight(shape=(), initializer="zeros", trainable=False, name="total")

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs))
        return inputs * 0 + self.total


class RedrawnKernelLinear(Linear):
    """Wrong: call() draws new random values into the trainable kernel."""

    def call(self, inputs):
        self.kernel.assign(np.random.default_rng().normal(size=tuple(self.kernel.shape)).astype("float32"))
        return super().call(inputs)


def test_state_a_layer_updates_is_not_mistaken_for_recreated_weights():
    check_weights_created_once(RunningSum, (2, 3))


def test_trainable_values_changed_by_call_are_noticed():
    text = failure_of(check_weights_created_once, lambda: RedrawnKernelLinear(4), (2, 3))
    assert "the value of weight 'kernel'" in text and "new values" in text


def test_recreated_weights_are_noticed():
    # mlkit (like Keras) refuses the second build, and the check says why.
    assert "build() ran a second time from call()" in failure_of(check_weights_created_once, lambda: RebuildingLinear(4), (2, 3))


@pytest.mark.parametrize("layer_class, phrase", [
    (TransposedLinear, "kernel is transposed"),
    (BiasFirstLinear, "create kernel before bias"),
    (NoBiasLinear, "the bias is missing"),
    (UnnamedLinear, "give each weight the name the exercise asks for"),
    (FrozenBiasLinear, "it must be trainable"),
    (BuildsTwiceLinear, "created twice"),
])
def test_check_weights_names_the_mistake(layer_class, phrase):
    layer = layer_class(4)
    layer(np.ones((2, 3), dtype="float32"))
    assert phrase in failure_of(check_weights, layer, [("kernel", (3, 4), True), ("bias", (4,), True)])


def test_a_frozen_kernel_is_named_before_the_order_it_changes():
    class FrozenKernelLinear(Linear):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), trainable=False, name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    text = failure_of(check_weights, FrozenKernelLinear(4), [("kernel", (3, 4), True), ("bias", (4,), True)],
                      input_shape=(2, 3))
    assert "whether weight 'kernel' of FrozenKernelLinear is trainable" in text and "create kernel before" not in text


def _initialized(kernel="glorot_uniform", bias="zeros"):
    class Initialized(Linear):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=kernel, name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer=bias, name="bias")

    return Initialized


@pytest.mark.parametrize("kernel, bias, phrase", [
    ("zeros", "zeros", "Got:      all zeros\n  Likely mistake: kernel starts from another initializer"),
    ("ones", "zeros", "A constant kernel gives every unit the same output"),
    ("random_normal", "zeros", "pass initializer='glorot_uniform'"),
    ("he_uniform", "zeros", "Got:      values from"),
    ("glorot_uniform", "ones", "Expected: all zeros (initializer='zeros')\n  Got:      all ones"),
])
def test_initial_weights_name_the_initializer_that_was_replaced(kernel, bias, phrase):
    expected = {"kernel": "glorot_uniform", "bias": "zeros"}
    check_initial_weights(lambda: _initialized()(8), (2, 5), expected)
    check_initial_weights(lambda: Linear(3), (2, 4, 2), expected)  # add_weight's default is glorot_uniform
    assert phrase in failure_of(check_initial_weights, lambda: _initialized(kernel, bias)(8), (2, 5), expected)
    assert "a weight named 'scale'" in failure_of(check_initial_weights, lambda: Linear(2), (2, 3), {"scale": "ones"})


def test_a_missing_default_is_named_when_the_layer_is_made():
    class NoDefault(Linear):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)

    text = failure_of(check_weight_shapes, lambda: NoDefault(), (2, 3), {"kernel": (3, 32)})
    assert "missing 1 required positional argument: 'units'" in text and "write the default in the signature" in text


def test_a_weight_that_should_be_state_must_not_be_trainable():
    text = failure_of(check_weights, Linear(2), [("kernel", (3, 2), False), ("bias", (2,))], input_shape=(1, 3))
    assert "pass trainable=False to add_weight" in text


def test_weight_shapes_follow_the_last_axis():
    text = failure_of(check_weight_shapes, lambda: SecondAxisLinear(5), (4, 3, 6), {"kernel": (6, 5)})
    assert "the size comes from input_shape[1]" in text
    assert "Expected: (6, 5)\n  Got:      (3, 5)" in text


@pytest.mark.parametrize("layer_class, phrase", [
    (NoKwargsLinear, "unexpected keyword argument 'name'"),
    (KwargsDroppedLinear, "Expected: my_layer"),
])
def test_base_arguments_must_reach_the_base_class(layer_class, phrase):
    text = failure_of(check_forwards_base_arguments, lambda **kwargs: layer_class(2, **kwargs), (3, 4))
    assert phrase in text and "super().__init__(**kwargs)" in text


def test_output_check_recognizes_a_listed_mistake_after_randomizing_the_bias():
    text = failure_of(check_layer_output, lambda: BiasIgnoredLinear(3), np.ones((2, 4)),
                      lambda x, w: x @ w["kernel"] + w["bias"],
                      mistakes={"the bias is not added": lambda x, w: x @ w["kernel"]})
    assert text.endswith("Likely mistake: the bias is not added")
    check_layer_output(lambda: BiasIgnoredLinear(3), np.ones((2, 4)), lambda x, w: x @ w["kernel"],
                       randomize_weights=False)


def test_output_check_explains_weights_it_cannot_use():
    assert "the layer has no weight named 'bias'" in failure_of(
        check_layer_output, lambda: NoBiasLinear(2), np.ones((1, 3)), lambda x, w: x @ w["kernel"] + w["bias"])
    assert "their shapes do not fit" in failure_of(check_layer_output, lambda: TransposedLinear(2), np.ones((1, 3)),
                                                   lambda x, w: x @ w["kernel"] + w["bias"])


@pytest.mark.parametrize("layer_class, input_shape, expected, phrase", [
    (BatchOnlyShapeLinear, (8, 5, 3), (8, 5, 4), "keep every axis but the last"),
    (ListShapeLinear, (None, 3), (None, 4), "return a tuple"),
    (KernelShapeLinear, (None, 3), (None, 4), "must work before build"),
    (NoShapeLinear, (None, 3), (None, 4), "add `def compute_output_shape"),
])
def test_output_shape_names_the_mistake(layer_class, input_shape, expected, phrase):
    assert phrase in failure_of(check_output_shape, lambda: layer_class(4), input_shape, expected)


def test_gradient_checks_catch_numpy_and_wrong_gradients():
    assert "compute with ops" in failure_of(check_layer_gradients, lambda: NumpyLinear(2), (2, 3))
    text = failure_of(check_layer_gradients, lambda: WrongGradientLinear(2), (2, 3))
    assert "Gradient check failed" in text and "finite differences" in text
    check_gradients(lambda x: ops.tanh(x), [np.linspace(-1, 1, 5)], "tanh")


class SublayerInBuild(layers.Layer):
    """Correct, with a sublayer made in build(): it too must be float64 for the check."""

    def build(self, input_shape):
        self.inner = layers.Dense(3, activation="tanh")
        self.inner.build(input_shape)

    def call(self, inputs):
        return self.inner(inputs)


def test_gradient_check_runs_wholly_in_float64_and_restores_floatx():
    check_layer_gradients(SublayerInBuild, (2, 4))
    assert mlkit.config.floatx() == "float32"
    failure_of(check_layer_gradients, lambda: WrongGradientLinear(2), (2, 3))
    assert mlkit.config.floatx() == "float32"


@pytest.mark.parametrize("layer_class, phrase", [
    (NoUnitsConfigLinear, "add 'units': self.units"),
    (NoParentConfigLinear, "config = super().get_config()"),
])
def test_config_check_names_the_mistake(layer_class, phrase):
    assert phrase in failure_of(check_config, layer_class, {"units": 3})


def test_config_must_be_plain_json():
    class ObjectConfigLinear(Linear):
        def get_config(self):
            return {**super().get_config(), "initializer": mlkit.initializers.Zeros()}

    assert "serialize objects" in failure_of(check_config, ObjectConfigLinear, {"units": 3})


class ActivityLoss(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.mean(inputs ** 2))
        return inputs


class PilingLoss(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.piled = []

    def call(self, inputs):
        self.piled.append(ops.mean(inputs ** 2))
        return inputs

    @property
    def losses(self):
        return list(self.piled)


def test_losses_must_not_pile_up():
    check_losses_reset(ActivityLoss, (2, 3), expected_count=1)
    assert "losses pile up" in failure_of(check_losses_reset, PilingLoss, (2, 3))
    assert "Expected: 2" in failure_of(check_losses_reset, ActivityLoss, (2, 3), expected_count=2)


class RunningMean(layers.Layer):
    def __init__(self, update_at_inference=False, never_update=False, **kwargs):
        super().__init__(**kwargs)
        self.update_at_inference, self.never_update = update_at_inference, never_update

    def build(self, input_shape):
        self.mean = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="mean")

    def call(self, inputs, training=False):
        if (training or self.update_at_inference) and not self.never_update:
            self.mean.assign(0.9 * self.mean + 0.1 * ops.mean(inputs, axis=0))
        return inputs - self.mean


def test_statistics_move_in_training_only():
    check_state_frozen_at_inference(RunningMean, (4, 3))
    assert "only `if training:`" in failure_of(check_state_frozen_at_inference,
                                               lambda: RunningMean(update_at_inference=True), (4, 3))
    assert "Expected: updated" in failure_of(check_state_frozen_at_inference, lambda: RunningMean(never_update=True), (4, 3))
    assert "non-trainable" in failure_of(check_state_frozen_at_inference, lambda: Linear(2), (4, 3))


def test_counters_advance_once_per_step():
    count = [0]
    check_counter_advances(lambda: count[0], lambda: count.__setitem__(0, count[0] + 1), "the step counter")
    assert "advances twice per step" in failure_of(
        check_counter_advances, lambda: count[0], lambda: count.__setitem__(0, count[0] + 2), "the step counter")
    assert "it never advances" in failure_of(check_counter_advances, lambda: 0, lambda: None, "the step counter")


def test_a_layer_class_is_required():
    assert "class MyLayer(layers.Layer)" in failure_of(check_builds_lazily, lambda: object(), (1, 2))
