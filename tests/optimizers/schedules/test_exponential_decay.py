import numpy as np
import pytest

import mlkit.optimizers
from mlkit.optimizers import schedules

STEPS = np.array([0, 1, 5, 9, 10, 11, 99, 100, 1234])


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_formula(staircase):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9, staircase=staircase)
    exponent = np.floor(STEPS / 10) if staircase else STEPS / 10
    expected = 0.1 * 0.9**exponent
    for step, rate in zip(STEPS, expected):
        assert float(schedule(int(step))) == pytest.approx(rate, rel=1e-6)
    np.testing.assert_allclose(schedule(STEPS).numpy(), expected, rtol=1e-6)
    if staircase:
        assert float(schedule(9)) == float(schedule(0)) and float(schedule(10)) < float(schedule(9))


def test_config():
    assert schedules.ExponentialDecay(0.1, 10, 0.9).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "decay_rate": 0.9,
        "staircase": False,
        "name": "ExponentialDecay",
    }
