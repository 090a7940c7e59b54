"""Random tensors: normal, uniform and truncated normal draws, integers,
categorical samples, dropout masks and shuffles -- each with a `seed`.

    >>> from mlkit import random
    >>> random.uniform((2, 3), minval=-1.0, maxval=1.0, seed=0).shape
    (2, 3)
"""

import numpy as np

from mlkit.ops.array import take
from mlkit.ops.core import data_of, is_float_dtype, standardize_dtype
from mlkit.ops.math import multiply
from mlkit.ops.tensor import Tensor
from mlkit.random.seed_generator import generator_for


def _shape(shape, where):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        dims = None
    if dims is None or any(n < 0 for n in dims):
        raise ValueError(
            f"mlkit.random.{where}: `shape` must be a tuple of non-negative ints such as (3, 4), "
            f"got {shape!r}."
        )
    return dims


def _float_dtype(dtype, where):
    dtype = standardize_dtype(dtype)
    if not is_float_dtype(dtype):
        raise ValueError(
            f"mlkit.random.{where} draws floats: `dtype` must be a float type such as 'float32', "
            f"got {dtype!r}. Use mlkit.random.randint for integers."
        )
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution with the given mean and standard deviation."""
    dtype = _float_dtype(dtype, "normal")
    values = generator_for(seed).normal(mean, stddev, size=_shape(shape, "normal"))
    return Tensor(values.astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from the uniform distribution on [minval, maxval)."""
    dtype = _float_dtype(dtype, "uniform")
    values = generator_for(seed).uniform(minval, maxval, size=_shape(shape, "uniform"))
    return Tensor(values.astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, where any draw beyond two standard deviations is drawn again."""
    dtype = _float_dtype(dtype, "truncated_normal")
    generator = generator_for(seed)
    values = generator.standard_normal(_shape(shape, "truncated_normal"))
    outside = np.abs(values) > 2
    while outside.any():  # each round redraws every outlier at once
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return Tensor((mean + stddev * values).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers in [minval, maxval)."""
    dtype = standardize_dtype(dtype)
    if np.dtype(dtype).kind not in "iu":
        raise ValueError(
            f"mlkit.random.randint draws integers: `dtype` must be an integer type such as "
            f"'int32', got {dtype!r}."
        )
    values = generator_for(seed).integers(minval, maxval, size=_shape(shape, "randint"))
    return Tensor(values.astype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """For each row of `logits` (batch, classes), `num_samples` drawn class indices."""
    scores = np.asarray(data_of(logits), dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(
            f"mlkit.random.categorical expects logits of shape (batch_size, num_classes), "
            f"got shape {scores.shape}."
        )
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    draws = generator_for(seed).random((scores.shape[0], int(num_samples)))
    # Inverse-CDF sampling: count the classes whose cumulative mass is below each draw.
    samples = (draws[:, :, None] >= cumulative[:, None, :-1]).sum(axis=2)
    return Tensor(samples.astype(standardize_dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each value with probability `rate` and scale the rest by 1/(1-rate).

    The expected value of every entry stays the same. `noise_shape` shares one
    mask value along the axes where it is 1 (None entries take the input's size).
    """
    if not 0 <= rate < 1:
        raise ValueError(f"mlkit.random.dropout: rate must be in [0, 1), got {rate!r}.")
    value = np.asarray(data_of(inputs))
    shape = value.shape if noise_shape is None else tuple(
        value.shape[i] if n is None else int(n) for i, n in enumerate(noise_shape)
    )
    keep = generator_for(seed).random(shape) >= rate
    mask = (keep / (1 - rate)).astype(value.dtype)
    return multiply(inputs, mask)


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order (differentiable)."""
    value = np.asarray(data_of(x))
    order = generator_for(seed).permutation(value.shape[axis])
    return take(x, order, axis=axis)
