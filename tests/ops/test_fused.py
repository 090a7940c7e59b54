"""Fused ops give the values and gradients of the ops they stand for."""

import numpy as np
import pytest

from mlkit import ops
from mlkit.ops import fused
from mlkit.utils.gradient_check import check_gradients

ACTIVATIONS = {"linear": lambda z: z, "relu": ops.relu, "tanh": ops.tanh, "sigmoid": ops.sigmoid,
               "softmax": ops.softmax}


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_bias_activation_equals_add_then_activation(activation, rng):
    x = rng.normal(size=(2, 3, 3, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    upstream = rng.normal(size=x.shape).astype(np.float32)

    def value_and_gradients(function):
        inputs, b = ops.convert_to_tensor(x), ops.convert_to_tensor(bias)
        with ops.GradientTape() as tape:
            tape.watch([inputs, b])
            y = function(inputs, b)
            objective = ops.sum(y * upstream)
        return [y.numpy()] + [g.numpy() for g in tape.gradient(objective, [inputs, b])]

    fused_results = value_and_gradients(lambda inputs, b: fused.bias_activation(inputs, b, activation))
    plain_results = value_and_gradients(lambda inputs, b: ACTIVATIONS[activation](inputs + b))
    for got, expected in zip(fused_results, plain_results, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softmax"])
def test_bias_activation_gradients_match_finite_differences(activation, away_from_zero):
    check_gradients(lambda x, b: fused.bias_activation(x, b, activation),
                    [away_from_zero((3, 2, 5)), away_from_zero((5,))])


def test_bias_activation_without_bias_leaves_its_input_alone():
    x = ops.convert_to_tensor(np.array([[-1.0, 2.0]], np.float32))
    y = fused.bias_activation(x, None, "relu")
    assert y.numpy().tolist() == [[0.0, 2.0]]
    assert x.numpy().tolist() == [[-1.0, 2.0]]
    with pytest.raises(ValueError, match="activation must be one of"):
        fused.bias_activation(x, None, "gelu")
