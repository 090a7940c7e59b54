"""mlkit/activations: the Keras list of names, get/serialize, relu's options,
gelu's default, and a gradient check of every activation."""

import json

import numpy as np
import pytest

from mlkit import activations, ops, saving
from mlkit.utils.gradient_check import check_gradients

# keras.activations in Keras 3 (swish and hard_swish are aliases).
KERAS_NAMES = [
    "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu", "linear",
    "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign",
    "swish", "tanh",
]
X = [-10.0, -5.0, 0.0, 5.0, 10.0]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_resolves_and_serializes_back(name):
    function = activations.get(name)
    assert callable(function) and function is getattr(activations, name)
    assert activations.get(activations.serialize(function)) is function
    assert activations.deserialize(activations.serialize(function)) is function


@pytest.mark.parametrize("name", sorted(set(KERAS_NAMES) - {"linear"}))
def test_every_activation_is_differentiable(name):
    rng = np.random.default_rng(2)
    x = rng.uniform(0.2, 2.5, size=(3, 4)) * rng.choice([-1.0, 1.0], size=(3, 4))  # clear of kinks at 0 and ±3
    check_gradients(activations.get(name), [x])


def test_get_none_is_linear_and_callables_pass_through():
    assert activations.get(None) is activations.linear
    x = ops.ones((2,))
    assert activations.linear(x) is x

    def double(t):
        return t * 2

    assert activations.get(double) is double
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu


def test_relu_options_match_the_keras_documented_examples():
    assert activations.relu(ops.convert_to_tensor(X)).numpy().tolist() == [0, 0, 0, 5, 10]
    assert activations.relu(ops.convert_to_tensor(X), negative_slope=0.5).numpy().tolist() == [-5, -2.5, 0, 5, 10]
    assert activations.relu(ops.convert_to_tensor(X), max_value=5.0).numpy().tolist() == [0, 0, 0, 5, 5]
    assert activations.relu(ops.convert_to_tensor(X), threshold=5.0).numpy().tolist() == [0, 0, 0, 0, 10]
    combined = activations.relu(ops.convert_to_tensor(X), negative_slope=0.5, max_value=8.0, threshold=5.0)
    assert combined.numpy().tolist() == [-7.5, -5.0, -2.5, 0.0, 8.0]
    x = np.array([-2.0, -0.7, 1.3, 4.0, 9.0])
    check_gradients(lambda t: activations.relu(t, negative_slope=0.3, max_value=6.0, threshold=1.0), [x])


def test_gelu_is_exact_by_default_here_and_approximate_in_ops():
    x = ops.convert_to_tensor([-3.0, -1.0, 0.0, 1.0, 3.0])
    exact = [-0.00404951, -0.15865529, 0.0, 0.8413447, 2.9959507]
    np.testing.assert_allclose(activations.gelu(x).numpy(), exact, rtol=1e-5, atol=3e-7)
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), ops.gelu(x).numpy())


def test_softmax_and_leaky_relu_arguments():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(activations.softmax(x, axis=0).numpy().sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(activations.log_softmax(x).numpy(), np.log(activations.softmax(x).numpy()))
    assert activations.leaky_relu(ops.convert_to_tensor([-1.0])).numpy().tolist() == [pytest.approx(-0.2)]
    assert activations.elu(ops.convert_to_tensor([-100.0]), alpha=2.0).numpy().tolist() == [-2.0]
    assert float(activations.exponential(ops.convert_to_tensor(1.0))) == pytest.approx(np.e)


def test_unknown_names_and_bad_identifiers_are_explained():
    with pytest.raises(ValueError, match=r"Unknown activation 'rellu'\. Use one of: .*relu, relu6.*a function"):
        activations.get("rellu")
    with pytest.raises(ValueError, match="Could not interpret activation 3 of type int"):
        activations.get(3)


def test_dict_configs():
    assert activations.get({"class_name": "function", "config": "tanh", "module": "keras.activations"}) is activations.tanh

    @saving.register_keras_serializable(package="ActivationTests")
    class Scaled:
        def __init__(self, factor=2.0):
            self.factor = factor

        def __call__(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    config = json.loads(json.dumps(activations.serialize(Scaled(3.0))))
    restored = activations.get(config)
    assert isinstance(restored, Scaled) and restored.factor == 3.0
