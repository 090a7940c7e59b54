"""SGD against the formulas, step by step:
v = momentum * v - lr * g;  w += v  (nesterov: w += momentum * v - lr * g)."""

import numpy as np
import pytest

import mlkit.optimizers
from mlkit import optimizers

LR = 0.125  # exact in float32, so float64 runs can be compared to 1e-12


def reference_sgd(start, steps, momentum=0.0, nesterov=False):
    values = [np.array(s, dtype="float64") for s in start]
    velocities = [np.zeros_like(v) for v in values]
    for grads in steps:
        for i, g in enumerate(grads):
            if momentum == 0:
                values[i] = values[i] - LR * g
                continue
            velocities[i] = momentum * velocities[i] - LR * g
            if nesterov:
                values[i] = values[i] + momentum * velocities[i] - LR * g
            else:
                values[i] = values[i] + velocities[i]
    return values, velocities


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True), (0.5, True)])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-5)])
def test_sgd_matches_the_formula_for_several_steps(make_variables, gradient_steps, momentum, nesterov, dtype, rtol):
    variables = make_variables(dtype)
    start = [v.numpy() for v in variables]
    steps = gradient_steps(5)
    optimizer = optimizers.SGD(learning_rate=LR, momentum=momentum, nesterov=nesterov)
    for grads in steps:
        optimizer.apply_gradients(zip([g.astype(dtype) for g in grads], variables))
    expected, velocities = reference_sgd(start, steps, momentum, nesterov)
    for v, e in zip(variables, expected):
        assert v.dtype == dtype
        np.testing.assert_allclose(v.numpy(), e, rtol=rtol, atol=1e-7)
    if momentum:
        for slot, e in zip(optimizer.momentums, velocities):
            np.testing.assert_allclose(slot.numpy(), e, rtol=rtol, atol=1e-7)
    assert int(optimizer.iterations) == 5


def test_defaults_and_slots():
    optimizer = optimizers.SGD()
    config = optimizer.get_config()
    assert (config["learning_rate"], config["momentum"], config["nesterov"]) == (pytest.approx(0.01), 0.0, False)
    w = mlkit.Variable([1.0], name="w")
    optimizer.build([w])
    assert len(optimizer.variables) == 2  # no momentum slots when momentum is 0
    with_momentum = optimizers.SGD(momentum=0.9)
    with_momentum.build([w])
    assert [v.name for v in with_momentum.variables] == ["iteration", "learning_rate", "w_momentum"]


def test_nesterov_differs_from_plain_momentum_by_the_look_ahead():
    plain, look_ahead = mlkit.Variable([0.0], name="a"), mlkit.Variable([0.0], name="b")
    sgd = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    nesterov = optimizers.SGD(learning_rate=1.0, momentum=0.5, nesterov=True)
    for _ in range(2):
        sgd.apply_gradients([([1.0], plain)])
        nesterov.apply_gradients([([1.0], look_ahead)])
    # v: -1, -1.5.  plain: -1 - 1.5 = -2.5.  nesterov: (0.5*-1 - 1) + (0.5*-1.5 - 1) = -3.25
    assert float(plain.numpy()[0]) == -2.5
    assert float(look_ahead.numpy()[0]) == -3.25


def test_nesterov_must_be_a_boolean():
    with pytest.raises(TypeError) as caught:
        optimizers.SGD(momentum=0.9, nesterov="yes")
    assert "SGD 'SGD': `nesterov` must be True or False, got nesterov='yes'" in str(caught.value)
