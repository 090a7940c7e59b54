import math

import numpy as np
import pytest

import mlkit.optimizers
from mlkit.optimizers import schedules


def decayed(step, decay_steps, start, alpha):
    step = min(step, decay_steps)
    return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha)


def test_cosine_decay_without_warmup():
    schedule = schedules.CosineDecay(0.2, decay_steps=50, alpha=0.1)
    steps = [0, 1, 10, 25, 49, 50, 51, 500]
    expected = [decayed(s, 50, 0.2, 0.1) for s in steps]
    np.testing.assert_allclose(schedule(np.array(steps)).numpy(), expected, rtol=1e-6)
    assert float(schedule(25)) == pytest.approx(0.2 * (0.9 * 0.5 + 0.1))
    assert float(schedule(500)) == pytest.approx(0.02)


def test_cosine_decay_with_linear_warmup():
    schedule = schedules.CosineDecay(0.01, decay_steps=40, alpha=0.0, warmup_target=0.1, warmup_steps=10)
    steps = [0, 1, 5, 9, 10, 11, 30, 50, 51, 1000]
    expected = [
        0.01 + (0.1 - 0.01) * s / 10 if s < 10 else decayed(min(s, 50) - 10, 40, 0.1, 0.0) for s in steps
    ]
    np.testing.assert_allclose(schedule(np.array(steps)).numpy(), expected, rtol=1e-6, atol=1e-9)
    assert float(schedule(10)) == pytest.approx(0.1)  # the peak
    assert float(schedule(5)) == pytest.approx(0.055)


def test_warmup_target_with_zero_warmup_steps_decays_from_the_target():
    schedule = schedules.CosineDecay(0.5, decay_steps=10, warmup_target=0.1)
    assert float(schedule(0)) == pytest.approx(0.1)
    assert float(schedule(5)) == pytest.approx(0.05)


def test_arguments_and_config():
    config = schedules.CosineDecay(0.1, 10).get_config()
    assert list(config) == ["initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"]
    assert (config["alpha"], config["name"], config["warmup_target"], config["warmup_steps"]) == (
        0.0,
        "CosineDecay",
        None,
        0,
    )
    with pytest.raises(ValueError, match="warmup_steps must be a number >= 0"):
        schedules.CosineDecay(0.1, 10, warmup_steps=-1)
