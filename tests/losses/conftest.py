"""Shared fixtures for the loss tests: a seeded generator and valid test data."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.fixture
def probabilities(rng):
    """Rows of class probabilities in [0.05, 0.9] (clear of the 1e-7 clip), float64."""

    def draw(shape):
        raw = rng.uniform(0.2, 1.0, size=shape)
        return raw / raw.sum(axis=-1, keepdims=True)

    return draw


@pytest.fixture
def one_hot(rng):
    def draw(batch, classes):
        return np.eye(classes)[rng.integers(0, classes, size=batch)]

    return draw
