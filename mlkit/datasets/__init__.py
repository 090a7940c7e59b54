"""Data sets that ship with mlkit; nothing is ever downloaded.

- ``digits``: 1,797 handwritten digits, 8x8 pixels, Keras-style ``load_data()``.
- ``synthetic``: seeded toy problems (spirals, moons, regression, sequences).

>>> from mlkit.datasets import digits, two_spirals
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> x, y = two_spirals(n_samples=200, seed=0)
"""

from . import digits, synthetic
from .synthetic import (
    moons,
    noise_free_target,
    noisy_regression,
    sequence_task,
    two_spirals,
)

__all__ = [
    "digits",
    "synthetic",
    "two_spirals",
    "moons",
    "noisy_regression",
    "noise_free_target",
    "sequence_task",
]
