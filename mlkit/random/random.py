"""Random draws for initializers, dropout and shuffling, all seedable."""

import numpy as np

from mlkit.ops.core import data_of, standardize_dtype
from mlkit.ops.math import multiply
from mlkit.ops.tensor import Tensor

_global = {"generator": np.random.default_rng()}


def set_global_seed(seed):
    """Reset the generator used when no seed is given."""
    _global["generator"] = np.random.default_rng(seed)


class SeedGenerator:
    """A reproducible stream of random draws: same seed, same sequence."""

    def __init__(self, seed=None):
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None

    @property
    def generator(self):
        return self._generator if self._generator is not None else _global["generator"]

    def get_config(self):
        return {"seed": self.seed}


def generator_for(seed):
    """The NumPy generator a `seed` argument (None, int or SeedGenerator) stands for."""
    if seed is None:
        return _global["generator"]
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)):
        return np.random.default_rng(int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise ValueError(
        f"A random seed must be None, an int or a mlkit.random.SeedGenerator, got {seed!r}."
    )


def _shape(shape):
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    values = generator_for(seed).normal(mean, stddev, size=_shape(shape))
    return Tensor(values.astype(standardize_dtype(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    values = generator_for(seed).uniform(minval, maxval, size=_shape(shape))
    return Tensor(values.astype(standardize_dtype(dtype)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, with any draw beyond two standard deviations redrawn."""
    generator = generator_for(seed)
    size = _shape(shape)
    values = generator.standard_normal(size)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return Tensor((mean + stddev * values).astype(standardize_dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each value with probability `rate`, scale the rest by 1/(1-rate)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}.")
    value = np.asarray(data_of(inputs))
    shape = value.shape if noise_shape is None else tuple(
        n if n is not None else value.shape[i] for i, n in enumerate(noise_shape)
    )
    keep = generator_for(seed).random(shape) >= rate
    mask = (keep / (1 - rate)).astype(value.dtype)
    return multiply(inputs, mask)


def shuffle(x, axis=0, seed=None):
    value = np.asarray(data_of(x))
    order = generator_for(seed).permutation(value.shape[axis])
    return Tensor(np.take(value, order, axis=axis))
