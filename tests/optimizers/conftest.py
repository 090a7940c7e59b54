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


ADAM_LR = 0.0625  # exact in float32, so float64 runs can be compared to 1e-12


@pytest.fixture
def reference_adam():
    """Adam (and AdamW with weight_decay) written out in float64 NumPy, one variable at a time."""
    return _reference_adam


def _reference_adam(start, steps, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None):
    values = [np.array(s, dtype="float64") for s in start]
    m = [np.zeros_like(v) for v in values]
    v = [np.zeros_like(x) for x in values]
    v_hat = [np.zeros_like(x) for x in values]
    for t, grads in enumerate(steps, start=1):
        alpha = ADAM_LR * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i, g in enumerate(grads):
            if weight_decay is not None:
                values[i] = values[i] - values[i] * weight_decay * ADAM_LR
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            second = v[i]
            if amsgrad:
                v_hat[i] = np.maximum(v_hat[i], v[i])
                second = v_hat[i]
            values[i] = values[i] - alpha * m[i] / (np.sqrt(second) + epsilon)
    return values, m, v, v_hat
