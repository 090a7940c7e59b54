"""Adagrad against the formula: acc += g * g; w -= lr * g / sqrt(acc + epsilon)."""

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import optimizers

LR = 0.25


def reference_adagrad(start, steps, initial_accumulator_value=0.1, epsilon=1e-7):
    values = [np.array(s, dtype="float64") for s in start]
    accumulators = [np.full_like(v, initial_accumulator_value) for v in values]
    for grads in steps:
        for i, g in enumerate(grads):
            accumulators[i] = accumulators[i] + g * g
            values[i] = values[i] - LR * g / np.sqrt(accumulators[i] + epsilon)
    return values, accumulators


@pytest.mark.parametrize("kwargs", [{}, {"initial_accumulator_value": 0.0}, {"initial_accumulator_value": 2.0, "epsilon": 0.5}])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-5)])
def test_adagrad_matches_the_formula_for_several_steps(make_variables, gradient_steps, kwargs, dtype, rtol):
    variables = make_variables(dtype)
    start = [v.numpy() for v in variables]
    steps = gradient_steps(5)
    optimizer = optimizers.Adagrad(learning_rate=LR, **kwargs)
    for grads in steps:
        optimizer.apply_gradients(zip(grads, variables))
    expected, accumulators = reference_adagrad(start, steps, **kwargs)
    for variable, e in zip(variables, expected):
        np.testing.assert_allclose(variable.numpy(), e, rtol=rtol, atol=1e-6)
    for slot, e in zip(optimizer._accumulators, accumulators):
        np.testing.assert_allclose(slot.numpy(), e, rtol=rtol)


def test_accumulators_start_at_the_initial_value():
    w = mlkit.Variable(np.zeros((2, 2)), name="w")
    optimizer = optimizers.Adagrad(initial_accumulator_value=0.3)
    optimizer.build([w])
    np.testing.assert_allclose(optimizer.variables[-1].numpy(), np.full((2, 2), 0.3))
    assert optimizer.variables[-1].name == "w_accumulator"
    config = optimizers.Adagrad().get_config()
    assert (config["learning_rate"], config["initial_accumulator_value"], config["epsilon"]) == (
        pytest.approx(0.001),
        0.1,
        1e-7,
    )
