import numpy as np
import pytest

import mlkit.optimizers
from mlkit.optimizers import schedules


def test_values_change_just_after_each_boundary():
    schedule = schedules.PiecewiseConstantDecay(boundaries=[100, 110], values=[1.0, 0.5, 0.1])
    steps = np.array([0, 99, 100, 101, 109, 110, 111, 10**6])
    expected = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.1, 0.1]
    np.testing.assert_allclose(schedule(steps).numpy(), expected, rtol=1e-7)
    assert [float(schedule(int(s))) for s in steps] == pytest.approx(expected)


def test_length_mismatch_and_order_are_checked():
    with pytest.raises(ValueError, match="should be 1 less than the length of values"):
        schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01])
    with pytest.raises(ValueError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([20, 10], [0.1, 0.01, 0.001])


def test_config():
    assert schedules.PiecewiseConstantDecay([1], [0.1, 0.2]).get_config() == {
        "boundaries": [1],
        "values": [0.1, 0.2],
        "name": "PiecewiseConstant",
    }
