"""RMSprop against the formulas: plain, centered, with momentum, and both."""

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import optimizers

LR = 0.0625


def reference_rmsprop(start, steps, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    values = [np.array(s, dtype="float64") for s in start]
    velocity = [np.zeros_like(v) for v in values]
    average = [np.zeros_like(v) for v in values]
    moment = [np.zeros_like(v) for v in values]
    for grads in steps:
        for i, g in enumerate(grads):
            velocity[i] = rho * velocity[i] + (1 - rho) * g * g
            if centered:
                average[i] = rho * average[i] + (1 - rho) * g
                denominator = velocity[i] - average[i] ** 2 + epsilon
            else:
                denominator = velocity[i] + epsilon
            increment = LR * g / np.sqrt(denominator)
            if momentum > 0:
                moment[i] = momentum * moment[i] + increment
                values[i] = values[i] - moment[i]
            else:
                values[i] = values[i] - increment
    return values, velocity, moment, average


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"centered": True}, {"momentum": 0.9}, {"centered": True, "momentum": 0.5, "rho": 0.5, "epsilon": 0.01}],
)
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 5e-5)])
def test_rmsprop_matches_the_formula_for_several_steps(make_variables, gradient_steps, kwargs, dtype, rtol):
    variables = make_variables(dtype)
    start = [v.numpy() for v in variables]
    steps = gradient_steps(5)
    optimizer = optimizers.RMSprop(learning_rate=LR, **kwargs)
    for grads in steps:
        optimizer.apply_gradients(zip(grads, variables))
    expected, velocity, moment, average = reference_rmsprop(start, steps, **kwargs)
    for variable, e in zip(variables, expected):
        np.testing.assert_allclose(variable.numpy(), e, rtol=rtol, atol=1e-6)
    for slot, e in zip(optimizer._velocities, velocity):
        np.testing.assert_allclose(slot.numpy(), e, rtol=rtol, atol=1e-9)
    for slot, e in zip(optimizer._momentums, moment):
        np.testing.assert_allclose(slot.numpy(), e, rtol=rtol, atol=1e-9)
    for slot, e in zip(optimizer._average_gradients, average):
        np.testing.assert_allclose(slot.numpy(), e, rtol=rtol, atol=1e-9)
    assert len(optimizer._momentums) == (3 if kwargs.get("momentum") else 0)
    assert len(optimizer._average_gradients) == (3 if kwargs.get("centered") else 0)


def test_the_documented_example_value():
    # var = 10, loss = var**2 / 2 so the gradient is var; one step with lr 0.1.
    var = mlkit.Variable(10.0, name="var")
    optimizers.RMSprop(learning_rate=0.1).apply_gradients([(var.numpy(), var)])
    assert float(var.numpy()) == pytest.approx(9.683772, abs=1e-6)


def test_slot_order_and_defaults():
    w = mlkit.Variable([1.0], name="w")
    optimizer = optimizers.RMSprop(momentum=0.5, centered=True)
    optimizer.build([w])
    assert [v.name for v in optimizer.variables][2:] == ["w_velocity", "w_momentum", "w_average_gradient"]
    config = optimizers.RMSprop().get_config()
    assert (config["rho"], config["momentum"], config["epsilon"], config["centered"]) == (0.9, 0.0, 1e-7, False)
