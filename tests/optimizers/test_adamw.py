"""AdamW: decoupled weight decay w -= w * weight_decay * lr, then the Adam step."""

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import optimizers


@pytest.mark.parametrize("weight_decay", [0.004, 0.5])
def test_adamw_matches_decay_then_adam(make_variables, gradient_steps, reference_adam, weight_decay):
    variables = make_variables()
    start = [v.numpy() for v in variables]
    steps = gradient_steps(5)
    optimizer = optimizers.AdamW(learning_rate=0.0625, weight_decay=weight_decay)
    for grads in steps:
        optimizer.apply_gradients(zip(grads, variables))
    expected = reference_adam(start, steps, weight_decay=weight_decay)[0]
    without_decay = reference_adam(start, steps)[0]
    for variable, e, plain in zip(variables, expected, without_decay):
        np.testing.assert_allclose(variable.numpy(), e, rtol=1e-12)
        assert not np.allclose(e, plain, rtol=1e-6)


def test_default_weight_decay_and_exclusion():
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    kernel = mlkit.Variable(np.array([1.0]), name="kernel")
    bias = mlkit.Variable(np.array([1.0]), name="bias")
    optimizer = optimizers.AdamW(learning_rate=0.5, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply_gradients([(np.zeros(1), kernel), (np.zeros(1), bias)])
    assert float(kernel.numpy()[0]) == 0.75 and float(bias.numpy()[0]) == 1.0
