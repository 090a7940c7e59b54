import numpy as np
import pytest

import mlkit.optimizers
from mlkit.optimizers import schedules

STEPS = np.array([0, 1, 3, 4, 5, 50, 999])


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_formula(staircase):
    schedule = schedules.InverseTimeDecay(0.5, decay_steps=4, decay_rate=0.25, staircase=staircase)
    progress = np.floor(STEPS / 4) if staircase else STEPS / 4
    expected = 0.5 / (1 + 0.25 * progress)
    np.testing.assert_allclose(schedule(STEPS).numpy(), expected, rtol=1e-6)
    assert float(schedule(3)) == pytest.approx(0.5 if staircase else 0.5 / 1.1875, rel=1e-6)


def test_config():
    assert list(schedules.InverseTimeDecay(0.1, 1, 0.5).get_config()) == [
        "initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"
    ]
