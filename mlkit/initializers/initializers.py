"""The initializer classes. Each is called as `initializer(shape, dtype=None)`.

Random initializers follow Keras's seeding rule: an initializer built with
an int seed -- or with no seed, in which case it takes one from the global
generator when it is created -- returns the *same* values on every call.
Two layers sharing one unseeded initializer object therefore start equal;
give each its own initializer, or a `mlkit.random.SeedGenerator` as seed to
get a new draw per call.

    >>> from mlkit import initializers
    >>> init = initializers.HeNormal(seed=0)
    >>> bool((init((2, 2)).numpy() == init((2, 2)).numpy()).all())
    True
"""

import math
import warnings

import numpy as np

from mlkit import random
from mlkit.ops.core import is_float_dtype, standardize_dtype
from mlkit.ops.tensor import Tensor
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object
from mlkit.utils.arguments import check_number


def _shape(shape, owner):
    if isinstance(shape, str):
        raise TypeError(
            f"{type(owner).__name__}: `shape` must be a tuple of ints such as (64, 32), got the "
            f"string {shape!r}. Write the sizes as numbers: shape=(3,) or shape=(3, 4)."
        )
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        dims = None
    if dims is None or any(n < 0 for n in dims):
        raise ValueError(
            f"{type(owner).__name__}: `shape` must be a tuple of non-negative ints such as "
            f"(64, 32), got {shape!r}."
        )
    return dims


def _is_numeric(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _checked_normal(owner, mean, stddev):
    """(mean, stddev) of a normal initializer: numbers, the spread not negative."""
    name = type(owner).__name__
    check_number(name, "mean", mean)
    check_number(name, "stddev", stddev, at_least=0, hint="It is a spread, e.g. stddev=0.05, never negative.")
    return mean, stddev


class Initializer:
    """Base class: subclass it and implement `__call__(shape, dtype=None)`.

    Give it `get_config()` returning the constructor's arguments so it can be
    saved; the default `from_config(config)` calls `cls(**config)`.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return Tensor(np.zeros(_shape(shape, self), dtype=standardize_dtype(dtype)))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return Tensor(np.ones(_shape(shape, self), dtype=standardize_dtype(dtype)))


class Constant(Initializer):
    """Every value equal to `value`."""

    def __init__(self, value=0.0):
        try:
            as_array = np.asarray(value)
        except ValueError:
            as_array = None
        if as_array is None or as_array.dtype.kind not in "biuf":
            unquoted = isinstance(value, str) and _is_numeric(value)
            raise ValueError(  # a ValueError, as Keras raises for it
                f"Constant: `value` must be a number (or an array of numbers), got value={value!r} "
                f"(of type {type(value).__name__}). E.g. Constant(0.1)"
                + (f", or Constant({value.strip()}) without quotes." if unquoted else ".")
            )
        self.value = value

    def __call__(self, shape, dtype=None):
        return Tensor(np.full(_shape(shape, self), self.value, dtype=standardize_dtype(dtype)))

    def get_config(self):
        return {"value": np.asarray(self.value).tolist()}


class Identity(Initializer):
    """The identity matrix times `gain` (2-d shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = check_number("Identity", "gain", gain)

    def __call__(self, shape, dtype=None):
        shape = _shape(shape, self)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer: only 2-d shapes (rows, columns) can be initialized, "
                f"got shape {shape}."
            )
        dtype = standardize_dtype(dtype)
        return Tensor((self.gain * np.eye(*shape)).astype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Shared by the random initializers: what `seed` means (see the module doc)."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, random.SeedGenerator) and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
        ):
            raise ValueError(
                f"{type(self).__name__}: seed must be None, an int or a "
                f"mlkit.random.SeedGenerator, got {seed!r}."
            )
        self._init_seed = seed
        self.seed = random.make_default_seed() if seed is None else seed
        self._calls = 0

    def _prepare(self, shape, dtype):
        """Check `shape` and `dtype` and pick this call's seed."""
        shape, dtype = _shape(shape, self), standardize_dtype(dtype)
        if not is_float_dtype(dtype):
            raise ValueError(
                f"{type(self).__name__}: a random initializer makes floats, so dtype must be a "
                f"float type such as 'float32', got {dtype!r}."
            )
        return shape, dtype, self._draw_seed()

    def _draw_seed(self):
        """The seed for this call (warns when an unseeded object is reused)."""
        self._calls += 1
        if self._init_seed is None and self._calls == 2:
            warnings.warn(
                f"The initializer {type(self).__name__} is unseeded and is being called a second "
                "time: it returns the same values on every call. Create one initializer per "
                "weight, or pass seed=mlkit.random.SeedGenerator(...) for a new draw each call.",
                stacklevel=3,
            )
        return self.seed

    def get_config(self):
        seed = self._init_seed
        if isinstance(seed, random.SeedGenerator):
            seed = serialize_keras_object(seed)
        return {"seed": seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("seed"), dict):
            config["seed"] = deserialize_keras_object(
                config["seed"], module_objects={"SeedGenerator": random.SeedGenerator}
            )
        return cls(**config)


class RandomNormal(RandomInitializer):
    """Draws from a normal distribution (default mean 0, stddev 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = _checked_normal(self, mean, stddev)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, seed = self._prepare(shape, dtype)
        return random.normal(shape, self.mean, self.stddev, dtype=dtype, seed=seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Draws from the uniform distribution on [minval, maxval) (default ±0.05)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        check_number("RandomUniform", "minval", minval)
        check_number("RandomUniform", "maxval", maxval, at_least=minval,
                     hint="Values are drawn from [minval, maxval): give the smaller bound as minval.")
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, seed = self._prepare(shape, dtype)
        return random.uniform(shape, self.minval, self.maxval, dtype=dtype, seed=seed)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(RandomInitializer):
    """Normal draws cut at two standard deviations (default stddev 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = _checked_normal(self, mean, stddev)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, seed = self._prepare(shape, dtype)
        return random.truncated_normal(shape, self.mean, self.stddev, dtype=dtype, seed=seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


def compute_fans(shape):
    """(fan_in, fan_out) of a weight: inputs and outputs per unit.

    For a convolution kernel (kh, kw, in, out) every input channel is seen
    through kh*kw positions, so both fans are multiplied by that receptive field.
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class VarianceScaling(RandomInitializer):
    """Draw with variance `scale / n`, n being fan_in, fan_out or their average.

    'truncated_normal' corrects its stddev for the cut so the variance is
    still scale / n; 'uniform' draws in ±sqrt(3 * scale / n).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        check_number("VarianceScaling", "scale", scale, above=0)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}."
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' "
                f"or 'uniform', got {distribution!r}."
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, seed = self._prepare(shape, dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return random.uniform(shape, -limit, limit, dtype=dtype, seed=seed)
        if self.distribution == "untruncated_normal":
            return random.normal(shape, 0.0, math.sqrt(variance), dtype=dtype, seed=seed)
        # A normal cut at two standard deviations has a smaller spread; this
        # constant (the std of the standard normal truncated to [-2, 2]) undoes it.
        stddev = math.sqrt(variance) / 0.87962566103423978
        return random.truncated_normal(shape, 0.0, stddev, dtype=dtype, seed=seed)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode, "distribution": self.distribution}


def _variance_scaling_preset(name, scale, mode, distribution, doc):
    class Preset(VarianceScaling):
        __doc__ = doc

        def __init__(self, seed=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

        def get_config(self):
            return {"seed": RandomInitializer.get_config(self)["seed"]}

    Preset.__name__ = Preset.__qualname__ = name
    Preset.__module__ = __name__
    return Preset


GlorotUniform = _variance_scaling_preset(
    "GlorotUniform", 1.0, "fan_avg", "uniform", "Uniform in ±sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _variance_scaling_preset(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal", "Truncated normal, std sqrt(2 / (fan_in + fan_out)).")
HeNormal = _variance_scaling_preset(
    "HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal, std sqrt(2 / fan_in): for ReLU.")
HeUniform = _variance_scaling_preset(
    "HeUniform", 2.0, "fan_in", "uniform", "Uniform in ±sqrt(6 / fan_in): for ReLU.")
LecunNormal = _variance_scaling_preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal, std sqrt(1 / fan_in): for SELU.")
LecunUniform = _variance_scaling_preset(
    "LecunUniform", 1.0, "fan_in", "uniform", "Uniform in ±sqrt(3 / fan_in).")


class Orthogonal(RandomInitializer):
    """A (scaled) orthogonal matrix, from the QR decomposition of a normal draw.

    Shapes with more than 2 axes are treated as (prod(shape[:-1]), shape[-1]).
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = check_number("Orthogonal", "gain", gain)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, seed = self._prepare(shape, dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer: the shape must have at least 2 axes, got shape {shape}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = random.normal((max(rows, cols), min(rows, cols)), dtype="float64", seed=seed).data
        q, r = np.linalg.qr(flat)
        q = q * np.sign(np.diag(r))  # makes the result a uniform draw over orthogonal matrices
        if rows < cols:
            q = q.T
        return Tensor((self.gain * q).reshape(shape).astype(dtype))

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}
