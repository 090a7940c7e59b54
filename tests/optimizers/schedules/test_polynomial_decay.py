import math

import numpy as np
import pytest

import mlkit.optimizers
from mlkit.optimizers import schedules

STEPS = [0, 1, 5, 9, 10, 11, 15, 20, 21, 35]


def reference(step, cycle, initial=0.1, end=0.01, decay_steps=10, power=2.0):
    if cycle:
        decay_steps = decay_steps * (1 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (initial - end) * (1 - step / decay_steps) ** power + end


@pytest.mark.parametrize("cycle", [False, True])
def test_polynomial_decay_formula(cycle):
    schedule = schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=cycle)
    expected = [reference(step, cycle) for step in STEPS]
    np.testing.assert_allclose(schedule(np.array(STEPS)).numpy(), expected, rtol=1e-6)
    if cycle:
        assert float(schedule(11)) > float(schedule(10))  # restarted, decaying over 20 steps
    else:
        assert float(schedule(35)) == pytest.approx(0.01)


def test_defaults():
    config = schedules.PolynomialDecay(0.1, 10).get_config()
    assert (config["end_learning_rate"], config["power"], config["cycle"], config["name"]) == (
        0.0001,
        1.0,
        False,
        "PolynomialDecay",
    )
