"""Shared fixtures for the optimizer tests: float64 variables and gradients."""

import numpy as np
import pytest

import mlkit
import mlkit.optimizers  # noqa: F401  (the lead adds it to mlkit/__init__)

SHAPES = [(3, 4), (4,), (2,)]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def make_variables(rng):
    """`make_variables(dtype="float64")` -> fresh variables of SHAPES with random values."""

    def make(dtype="float64", shapes=SHAPES):
        return [
            mlkit.Variable(rng.standard_normal(shape).astype(dtype), name=f"v{index}")
            for index, shape in enumerate(shapes)
        ]

    return make


@pytest.fixture
def gradient_steps(rng):
    """`gradient_steps(steps)` -> a list (one per step) of gradient lists for SHAPES."""

    def make(steps, shapes=SHAPES, dtype="float64"):
        return [[rng.standard_normal(shape).astype(dtype) for shape in shapes] for _ in range(steps)]

    return make
