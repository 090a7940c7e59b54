import math

import numpy as np
import pytest

import mlkit.optimizers
from mlkit.optimizers import schedules


def reference(step, initial=0.1, first=10, t_mul=2.0, m_mul=0.5, alpha=0.1):
    # Walk the periods one by one: a plain restatement of the schedule.
    start, length, scale = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, scale = start + length, length * t_mul, scale * m_mul
    fraction = (step - start) / length
    cosine = 0.5 * scale * (1 + math.cos(math.pi * fraction))
    return initial * ((1 - alpha) * cosine + alpha)


@pytest.mark.parametrize("t_mul, m_mul", [(2.0, 0.5), (1.0, 1.0), (1.5, 0.8)])
def test_restarts_formula(t_mul, m_mul):
    schedule = schedules.CosineDecayRestarts(0.1, 10, t_mul=t_mul, m_mul=m_mul, alpha=0.1)
    steps = [0, 3, 9, 10, 11, 20, 29, 30, 31, 69, 70, 71, 150]
    expected = [reference(s, t_mul=t_mul, m_mul=m_mul) for s in steps]
    np.testing.assert_allclose(schedule(np.array(steps)).numpy(), expected, rtol=1e-5)


def test_config():
    assert schedules.CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 10,
        "t_mul": 2.0,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }
