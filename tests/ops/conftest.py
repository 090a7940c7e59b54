"""Shared helpers for the ops tests: seeded random arrays in float64."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def away_from_zero(rng):
    """Random float64 values with |x| in [0.5, 2]: clear of kinks at 0."""

    def draw(shape):
        magnitude = rng.uniform(0.5, 2.0, size=shape)
        return magnitude * rng.choice([-1.0, 1.0], size=shape)

    return draw
