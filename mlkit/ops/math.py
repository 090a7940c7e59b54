"""Element-wise arithmetic, reductions and comparisons, each with its gradient.

Every op follows one pattern: compute the NumPy result; if a gradient may be
needed, `record` it with a `backward(grad)` that returns one gradient per
input. Broadcasting is undone once, by `unbroadcast`.

    >>> from mlkit import ops
    >>> ops.sum(ops.square(ops.convert_to_tensor([1.0, 2.0]))).numpy()
    array(5., dtype=float32)
"""

import numpy as np

from mlkit.ops.autodiff import needs_grad, record, unbroadcast
from mlkit.ops.core import data_of, standardize_dtype
from mlkit.ops.core import cast  # noqa: F401  (re-exported: ops.cast lives here too)
from mlkit.ops.tensor import Tensor


def _binary(x1, x2, value, backward):
    """Record a two-input op when either input needs a gradient."""
    if needs_grad(x1) or needs_grad(x2):
        return record(value, (x1, x2), backward)
    return Tensor(value)


def _unary(x, value, backward):
    if needs_grad(x):
        return record(value, (x,), backward)
    return Tensor(value)


# -- arithmetic ---------------------------------------------------------------
def add(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.add(a, b)
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g, sa), unbroadcast(g, sb)))


def subtract(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.subtract(a, b)
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g, sa), unbroadcast(-g, sb)))


def multiply(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.multiply(a, b)
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g * b, sa), unbroadcast(g * a, sb)))


def divide(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.divide(a, b)
    sa, sb = np.shape(a), np.shape(b)
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g / b, sa), unbroadcast(-g * out / b, sb))
    )


true_divide = divide


def power(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.power(a, b)
    sa, sb = np.shape(a), np.shape(b)

    def backward(g):
        grad_a = unbroadcast(g * b * np.power(a, b - 1), sa)
        grad_b = None
        if needs_grad_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
            grad_b = unbroadcast(g * out * log_a, sb)
        return grad_a, grad_b

    needs_grad_b = needs_grad(x2)
    return _binary(x1, x2, out, backward)


def negative(x):
    return _unary(x, np.negative(data_of(x)), lambda g: (-g,))


def square(x):
    a = data_of(x)
    return _unary(x, np.square(a), lambda g: (2 * g * a,))


def sqrt(x):
    out = np.sqrt(data_of(x))
    return _unary(x, out, lambda g: (g / (2 * out),))


def exp(x):
    out = np.exp(data_of(x))
    return _unary(x, out, lambda g: (g * out,))


def log(x):
    a = data_of(x)
    return _unary(x, np.log(a), lambda g: (g / a,))


def log1p(x):
    a = data_of(x)
    return _unary(x, np.log1p(a), lambda g: (g / (1 + a),))


def abs(x):  # noqa: A001 - Keras calls it ops.abs
    a = data_of(x)
    return _unary(x, np.abs(a), lambda g: (g * np.sign(a),))


absolute = abs


def sign(x):
    return Tensor(np.sign(data_of(x)))


def floor(x):
    return Tensor(np.floor(data_of(x)))


def round(x, decimals=0):  # noqa: A001
    return Tensor(np.round(data_of(x), decimals))


def reciprocal(x):
    return divide(1.0, x)


def maximum(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.maximum(a, b)
    sa, sb = np.shape(a), np.shape(b)
    picks_a = a >= b
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g * picks_a, sa), unbroadcast(g * ~picks_a, sb))
    )


def minimum(x1, x2):
    a, b = data_of(x1), data_of(x2)
    out = np.minimum(a, b)
    sa, sb = np.shape(a), np.shape(b)
    picks_a = a <= b
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g * picks_a, sa), unbroadcast(g * ~picks_a, sb))
    )


def clip(x, x_min, x_max):
    a = data_of(x)
    out = np.clip(a, data_of(x_min), data_of(x_max))
    inside = (a >= data_of(x_min)) & (a <= data_of(x_max))
    return _unary(x, out, lambda g: (g * inside,))


def where(condition, x1=None, x2=None):
    """Pick from `x1` where `condition` holds, else from `x2`."""
    cond = np.asarray(data_of(condition), dtype=bool)
    if x1 is None and x2 is None:
        return tuple(Tensor(i) for i in np.nonzero(cond))
    a, b = data_of(x1), data_of(x2)
    out = np.where(cond, a, b)
    sa, sb = np.shape(a), np.shape(b)
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g * cond, sa), unbroadcast(g * ~cond, sb))
    )


def add_n(tensors):
    """The sum of a list of tensors of the same shape."""
    total = tensors[0]
    for t in tensors[1:]:
        total = add(total, t)
    return total


# -- reductions ---------------------------------------------------------------
def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(int(a) % ndim if ndim else 0 for a in axis)


def _expand_to(g, shape, axes, keepdims):
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    a = data_of(x)
    a = np.asarray(a)
    axes = _axes(axis, a.ndim)
    out = np.sum(a, axis=axes, keepdims=keepdims)
    if out.dtype == np.float64 and a.dtype != np.float64:
        out = out.astype(a.dtype)
    return _unary(x, out, lambda g: (_expand_to(g, a.shape, axes, keepdims),))


def mean(x, axis=None, keepdims=False):
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    out = np.mean(a, axis=axes, keepdims=keepdims)
    if a.dtype.kind in "iub":
        out = out.astype("float32")
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    return _unary(x, out, lambda g: (_expand_to(g / count, a.shape, axes, keepdims),))


def _extreme(x, axis, keepdims, reducer):
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    out = reducer(a, axis=axes, keepdims=True)

    def backward(g):
        # Ties share the gradient equally.
        hits = a == out
        g = g if keepdims else (np.expand_dims(g, axes) if axes else g)
        return (g * hits / hits.sum(axis=axes, keepdims=True),)

    value = out if keepdims else np.squeeze(out, axis=axes) if axes else out
    return _unary(x, value, backward)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return _extreme(x, axis, keepdims, np.max)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return _extreme(x, axis, keepdims, np.min)


amax = max
amin = min


def prod(x, axis=None, keepdims=False):
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    out = np.prod(a, axis=axes, keepdims=True)

    def backward(g):
        g = g if keepdims else (np.expand_dims(g, axes) if axes else g)
        return (g * out / a,)

    return _unary(x, out if keepdims else np.squeeze(out, axis=axes), backward)


def var(x, axis=None, keepdims=False):
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    top = np.max(a, axis=axes, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    out = np.log(np.sum(np.exp(a - top), axis=axes, keepdims=True)) + top

    def backward(g):
        g = g if keepdims else (np.expand_dims(g, axes) if axes else g)
        return (g * np.exp(a - out),)

    return _unary(x, out if keepdims else np.squeeze(out, axis=axes), backward)


def argmax(x, axis=None, keepdims=False):
    return Tensor(np.argmax(data_of(x), axis=axis, keepdims=keepdims).astype("int32"))


def argmin(x, axis=None, keepdims=False):
    return Tensor(np.argmin(data_of(x), axis=axis, keepdims=keepdims).astype("int32"))


def cumsum(x, axis=None):
    a = np.asarray(data_of(x))
    if axis is None:
        out = np.cumsum(a.ravel())
        return _unary(x, out, lambda g: (np.flip(np.cumsum(np.flip(g))).reshape(a.shape),))
    out = np.cumsum(a, axis=axis)
    return _unary(
        x, out, lambda g: (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)
    )


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    if ord not in (None, 2, "fro", "euclidean"):
        raise NotImplementedError(f"ops.norm: only the Euclidean norm is available, got ord={ord!r}.")
    return sqrt(sum(square(x), axis=axis, keepdims=keepdims))


# -- comparisons and logic (no gradient) --------------------------------------
def _compare(function):
    def compare(x1, x2):
        return Tensor(function(data_of(x1), data_of(x2)))

    compare.__name__ = function.__name__
    return compare


equal = _compare(np.equal)
not_equal = _compare(np.not_equal)
less = _compare(np.less)
less_equal = _compare(np.less_equal)
greater = _compare(np.greater)
greater_equal = _compare(np.greater_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)


def logical_not(x):
    return Tensor(np.logical_not(data_of(x)))


def isnan(x):
    return Tensor(np.isnan(data_of(x)))


def isfinite(x):
    return Tensor(np.isfinite(data_of(x)))


def all(x, axis=None, keepdims=False):  # noqa: A001
    return Tensor(np.all(data_of(x), axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001
    return Tensor(np.any(data_of(x), axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None):
    return Tensor(np.asarray(np.count_nonzero(data_of(x), axis=axis), dtype="int32"))


def one_hot(x, num_classes, axis=-1, dtype=None):
    """Integer labels as one-hot rows (no gradient)."""
    labels = np.asarray(data_of(x)).astype(np.int64)
    eye = np.eye(num_classes, dtype=standardize_dtype(dtype))
    out = eye[labels]
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return Tensor(out)

