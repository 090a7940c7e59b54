"""Neural-network functions: activations and (log-)softmax, with gradients.

Each one has a hand-written backward rule, written in terms of its output
where that is cheaper (sigmoid' = y(1-y), tanh' = 1-y^2).

    >>> from mlkit import ops
    >>> ops.relu(ops.convert_to_tensor([-1.0, 2.0])).numpy().tolist()
    [0.0, 2.0]
"""

import math

import numpy as np

from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.core import data_of
from mlkit.ops.math import mean, multiply, var
from mlkit.ops.tensor import Tensor


def _unary(x, value, backward):
    if needs_grad(x):
        return record(value, (x,), backward)
    return Tensor(value)


def relu(x):
    a = data_of(x)
    out = np.maximum(a, 0)
    return _unary(x, out, lambda g: (g * (a > 0),))


def relu6(x):
    a = data_of(x)
    out = np.clip(a, 0, 6)
    return _unary(x, out, lambda g: (g * ((a > 0) & (a < 6)),))


def leaky_relu(x, negative_slope=0.2):
    a = data_of(x)
    positive = a > 0
    out = np.where(positive, a, a * negative_slope).astype(np.asarray(a).dtype, copy=False)
    return _unary(x, out, lambda g: (np.where(positive, g, g * negative_slope),))


def _stable_sigmoid(a):
    a = np.asarray(a)
    z = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + z), z / (1 + z)).astype(a.dtype, copy=False)


def sigmoid(x):
    out = _stable_sigmoid(data_of(x))
    return _unary(x, out, lambda g: (g * out * (1 - out),))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), without overflow for large |x|."""
    a = np.asarray(data_of(x))
    out = -np.logaddexp(-a, 0).astype(a.dtype, copy=False)
    return _unary(x, out, lambda g: (g * _stable_sigmoid(-a),))


def hard_sigmoid(x):
    """A piecewise-linear sigmoid: 0 below -3, 1 above 3, x/6 + 1/2 between."""
    a = data_of(x)
    out = np.clip(a / 6 + 0.5, 0, 1)
    return _unary(x, out, lambda g: (g * ((a > -3) & (a < 3)) / 6,))


def hard_silu(x):
    """x * hard_sigmoid(x): a piecewise-polynomial silu."""
    a = data_of(x)
    gate = np.clip(a / 6 + 0.5, 0, 1)
    slope = np.where(a <= -3, 0, np.where(a >= 3, 1, a / 3 + 0.5))
    return _unary(x, a * gate, lambda g: (g * slope,))


hard_swish = hard_silu


def tanh(x):
    out = np.tanh(data_of(x))
    return _unary(x, out, lambda g: (g * (1 - out * out),))


def softplus(x):
    a = np.asarray(data_of(x))
    out = np.logaddexp(a, 0).astype(a.dtype, copy=False)
    return _unary(x, out, lambda g: (g * _stable_sigmoid(a),))


def softsign(x):
    a = data_of(x)
    denominator = 1 + np.abs(a)
    return _unary(x, a / denominator, lambda g: (g / (denominator * denominator),))


def silu(x):
    a = data_of(x)
    s = _stable_sigmoid(a)
    return _unary(x, a * s, lambda g: (g * s * (1 + a * (1 - s)),))


swish = silu


def elu(x, alpha=1.0):
    a = np.asarray(data_of(x))
    negative_part = alpha * np.expm1(np.minimum(a, 0))
    out = np.where(a > 0, a, negative_part).astype(a.dtype, copy=False)
    return _unary(x, out, lambda g: (np.where(a > 0, g, g * (negative_part + alpha)),))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    a = np.asarray(data_of(x))
    negative_part = _SELU_ALPHA * np.expm1(np.minimum(a, 0))
    out = (_SELU_SCALE * np.where(a > 0, a, negative_part)).astype(a.dtype, copy=False)
    return _unary(
        x, out, lambda g: (_SELU_SCALE * np.where(a > 0, g, g * (negative_part + _SELU_ALPHA)),)
    )


def _erf(a):
    """The error function, vectorized (|error| < 1.2e-7: enough for float32).

    NumPy has no erf; this is the Chebyshev-fitted complementary error function
    from Numerical Recipes (erfc ~ t * exp(-z^2 + P(t))).
    """
    z = np.abs(a)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(a >= 0, 1 - erfc, erfc - 1)


def erf(x):
    a = np.asarray(data_of(x))
    out = _erf(a).astype(a.dtype, copy=False)
    return _unary(x, out, lambda g: (g * (2 / math.sqrt(math.pi)) * np.exp(-a * a),))


def gelu(x, approximate=True):
    """Gaussian error linear unit (Keras's default is the tanh approximation)."""
    a = np.asarray(data_of(x))
    if approximate:
        c = math.sqrt(2 / math.pi)
        inner = c * (a + 0.044715 * a**3)
        t = np.tanh(inner)
        out = (0.5 * a * (1 + t)).astype(a.dtype, copy=False)

        def backward(g):
            d_inner = c * (1 + 3 * 0.044715 * a * a)
            return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner),)

        return _unary(x, out, backward)
    cdf = 0.5 * (1 + _erf(a / math.sqrt(2)))
    pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    out = (a * cdf).astype(a.dtype, copy=False)
    return _unary(x, out, lambda g: (g * (cdf + a * pdf),))


def mish(x):
    return multiply(x, tanh(softplus(x)))


def _max_along(function_name, a, axis):
    """`a.max(axis, keepdims=True)`, with an error that names the function for a bad axis."""
    try:
        return a.max(axis=axis, keepdims=True)
    except np.exceptions.AxisError:
        raise np.exceptions.AxisError(
            f"{function_name}: axis={axis} does not exist in an input of shape {a.shape} "
            f"({a.ndim} axes). Use an axis between {-a.ndim} and {a.ndim - 1}; -1, the default, "
            "is the last axis (the classes)."
        ) from None


def softmax(x, axis=-1):
    a = np.asarray(data_of(x))
    e = np.exp(a - _max_along("softmax", a, axis))
    out = e / e.sum(axis=axis, keepdims=True)
    return _unary(x, out, lambda g: (out * (g - (g * out).sum(axis=axis, keepdims=True)),))


def log_softmax(x, axis=-1):
    a = np.asarray(data_of(x))
    shifted = a - _max_along("log_softmax", a, axis)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return _unary(x, out, lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),))


def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance of `x` over `axes` (what batch normalization needs)."""
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)
