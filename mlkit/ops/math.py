"""Element-wise arithmetic, reductions and comparisons, each with its gradient.

Every op follows one pattern: compute the NumPy result; if a gradient may be
needed, `record` it with a `backward(grad)` that returns one gradient per
input. Broadcasting is undone once, by `unbroadcast`.

    >>> from mlkit import ops
    >>> ops.sum(ops.square(ops.convert_to_tensor([1.0, 2.0]))).numpy()
    array(5., dtype=float32)

Where a function has a kink, the gradient picks a side and says so:
`maximum`/`minimum` send a tie's gradient to `x1`; `max`/`min` split it
evenly between tied entries; `clip` passes the gradient at the bounds.
"""

import math

import numpy as np

from mlkit.ops.autodiff import needs_grad, record, unbroadcast
from mlkit.ops.core import cast, data_of, standardize_dtype  # noqa: F401 (cast re-exported)
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


def broadcast_error(name, *values):
    """The error for inputs whose shapes do not broadcast (built only when it happens)."""
    shapes = " and ".join(str(np.shape(v)) for v in values)
    return ValueError(
        f"ops.{name}: the input shapes {shapes} cannot be broadcast together. Aligned from "
        "the last axis, each pair of sizes must be equal or one of them 1; reshape or "
        "expand_dims an input to line its axes up."
    )


def _zero_gradient(x, value):
    """A piecewise-constant op: differentiable, with gradient zero."""
    return _unary(x, value, lambda g: (np.zeros(np.shape(data_of(x)), dtype=g.dtype),))


# -- arithmetic ---------------------------------------------------------------
def add(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.add(a, b)
    except ValueError:
        raise broadcast_error("add", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g, sa), unbroadcast(g, sb)))


def subtract(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.subtract(a, b)
    except ValueError:
        raise broadcast_error("subtract", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g, sa), unbroadcast(-g, sb)))


def multiply(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.multiply(a, b)
    except ValueError:
        raise broadcast_error("multiply", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g * b, sa), unbroadcast(g * a, sb)))


def divide(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.divide(a, b)
    except ValueError:
        raise broadcast_error("divide", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g / b, sa), unbroadcast(-g * out / b, sb))
    )


true_divide = divide


def floor_divide(x1, x2):
    """`x1 // x2`: piecewise constant, so its gradient is zero."""
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.floor_divide(a, b)
    except ValueError:
        raise broadcast_error("floor_divide", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (np.zeros(sa, g.dtype), np.zeros(sb, g.dtype)))


def mod(x1, x2):
    """`x1 % x2` with the sign of `x2`, as Python's `%`: `x1 - x2 * floor(x1 / x2)`."""
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.mod(a, b)
    except ValueError:
        raise broadcast_error("mod", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    return _binary(x1, x2, out, lambda g: (unbroadcast(g, sa), unbroadcast(-g * np.floor_divide(a, b), sb)))


def power(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.power(a, b)
    except ValueError:
        raise broadcast_error("power", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    needs_a, needs_b = needs_grad(x1), needs_grad(x2)

    def backward(g):
        grad_a = grad_b = None
        if needs_a:
            grad_a = unbroadcast(g * b * np.power(a, b - 1), sa)
        if needs_b:
            # d(a^b)/db = a^b log(a), taken as 0 where a <= 0 (log undefined there).
            positive = np.asarray(a) > 0
            grad_b = unbroadcast(g * out * np.log(np.where(positive, a, 1)), sb)
        return grad_a, grad_b

    return _binary(x1, x2, out, backward)


def negative(x):
    return _unary(x, np.negative(data_of(x)), lambda g: (-g,))


def square(x):
    a = data_of(x)
    return _unary(x, np.square(a), lambda g: (2 * g * a,))


def sqrt(x):
    out = np.sqrt(data_of(x))
    return _unary(x, out, lambda g: (g / (2 * out),))


def rsqrt(x):
    """1 / sqrt(x)."""
    out = 1 / np.sqrt(data_of(x))
    return _unary(x, out, lambda g: (-0.5 * g * out * out * out,))


def exp(x):
    out = np.exp(data_of(x))
    return _unary(x, out, lambda g: (g * out,))


def expm1(x):
    """exp(x) - 1, accurate for small x."""
    a = data_of(x)
    return _unary(x, np.expm1(a), lambda g: (g * np.exp(a),))


def log(x):
    a = data_of(x)
    return _unary(x, np.log(a), lambda g: (g / a,))


def log1p(x):
    a = data_of(x)
    return _unary(x, np.log1p(a), lambda g: (g / (1 + a),))


def sin(x):
    a = data_of(x)
    return _unary(x, np.sin(a), lambda g: (g * np.cos(a),))


def cos(x):
    a = data_of(x)
    return _unary(x, np.cos(a), lambda g: (-g * np.sin(a),))


def abs(x):  # noqa: A001 - Keras calls it ops.abs
    a = data_of(x)
    return _unary(x, np.abs(a), lambda g: (g * np.sign(a),))


absolute = abs


def sign(x):
    return _zero_gradient(x, np.sign(data_of(x)))


def floor(x):
    return _zero_gradient(x, np.floor(data_of(x)))


def ceil(x):
    return _zero_gradient(x, np.ceil(data_of(x)))


def round(x, decimals=0):  # noqa: A001
    return _zero_gradient(x, np.round(data_of(x), decimals))


def reciprocal(x):
    return divide(1.0, x)


def maximum(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.maximum(a, b)
    except ValueError:
        raise broadcast_error("maximum", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    picks_a = a >= b
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g * picks_a, sa), unbroadcast(g * ~picks_a, sb))
    )


def minimum(x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.minimum(a, b)
    except ValueError:
        raise broadcast_error("minimum", a, b) from None
    sa, sb = np.shape(a), np.shape(b)
    picks_a = a <= b
    return _binary(
        x1, x2, out, lambda g: (unbroadcast(g * picks_a, sa), unbroadcast(g * ~picks_a, sb))
    )


def clip(x, x_min, x_max):
    """Limit `x` to [x_min, x_max]; the gradient flows where x is inside, bounds included."""
    a, low, high = data_of(x), data_of(x_min), data_of(x_max)
    out = np.clip(a, low, high)
    inside = (a >= low) & (a <= high)
    shape = np.shape(a)
    return _unary(x, out, lambda g: (unbroadcast(g * inside, shape),))


def where(condition, x1=None, x2=None):
    """Pick from `x1` where `condition` holds, else from `x2`.

    With only `condition`, the indices of its true entries (one tensor per axis).
    """
    cond = np.asarray(data_of(condition), dtype=bool)
    if x1 is None and x2 is None:
        return tuple(Tensor(i.astype("int32")) for i in np.nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError(
            "ops.where: pass both x1 and x2 (values for true and false entries), or neither "
            "to get the indices where the condition holds."
        )
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.where(cond, a, b)
    except ValueError:
        raise broadcast_error("where", cond, a, b) from None
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
    """Broadcast a reduced gradient back to the input's shape (a read-only view)."""
    if g.ndim == 0:
        # A full reduction: every input entry gets the same gradient. This is
        # the last node of every loss, so it skips np.broadcast_to's overhead.
        return np.full(shape, g, dtype=g.dtype)
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    out = a.sum(axis=axes, keepdims=keepdims)
    if a.dtype.kind in "biu" and out.dtype != a.dtype:
        # NumPy sums small ints into int64; keep the input's type (bool -> int32).
        out = out.astype(a.dtype if a.dtype.itemsize >= 4 else "int32")
    return _unary(x, out, lambda g: (_expand_to(g, a.shape, axes, keepdims),))


def mean(x, axis=None, keepdims=False):
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    count = a.size if axis is None else math.prod(a.shape[i] for i in axes)
    if a.dtype == np.float32 or a.dtype == np.float64:
        out = a.sum(axis=axes, keepdims=keepdims) / count  # what np.mean does, with less overhead
    else:
        out = np.mean(a, axis=axes, keepdims=keepdims)
        if a.dtype.kind in "iub":
            out = out.astype("float32")
    return _unary(x, out, lambda g: (_expand_to(g / count, a.shape, axes, keepdims),))


def _extreme(x, axis, keepdims, initial, reducer):
    a = np.asarray(data_of(x))
    axes = _axes(axis, a.ndim)
    if initial is None:
        out = reducer(a, axis=axes, keepdims=True)
    else:
        out = reducer(a, axis=axes, keepdims=True, initial=initial)

    def backward(g):
        # Tied entries share the gradient equally; none gets it if `initial` won.
        hits = a == out
        count = np.maximum(hits.sum(axis=axes, keepdims=True), 1)
        g = g if keepdims else (np.expand_dims(g, axes) if axes else g)
        return (g * hits / count,)

    value = out if keepdims else np.squeeze(out, axis=axes) if axes else out
    return _unary(x, value, backward)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return _extreme(x, axis, keepdims, initial, np.max)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    return _extreme(x, axis, keepdims, initial, np.min)


amax = max
amin = min


def _product_of_others(a, axes):
    """For each entry, the product of the other entries reduced with it.

    Computed as exclusive running products from both ends, so a zero entry
    does not turn the gradient into 0/0.
    """
    moved = np.moveaxis(a, axes, range(a.ndim - len(axes), a.ndim))
    flat = moved.reshape(moved.shape[: a.ndim - len(axes)] + (-1,))
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    reversed_flat = flat[..., ::-1]
    after = np.cumprod(np.concatenate([ones, reversed_flat[..., :-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.moveaxis(others, range(a.ndim - len(axes), a.ndim), axes)


def prod(x, axis=None, keepdims=False, dtype=None):
    a = np.asarray(data_of(x))
    if dtype is not None:
        a = a.astype(standardize_dtype(dtype))
    axes = _axes(axis, a.ndim)
    out = np.prod(a, axis=axes, keepdims=keepdims)

    def backward(g):
        return (_expand_to(g, a.shape, axes, keepdims) * _product_of_others(a, axes),)

    return _unary(x, out, backward)


def var(x, axis=None, keepdims=False):
    """The variance (mean squared deviation from the mean, no Bessel correction)."""
    if np.asarray(data_of(x)).dtype.kind in "iub":
        x = cast(x, "float32")
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """The standard deviation, sqrt(var(x)).

    Where all values along `axis` are equal the std is 0 and sqrt has no
    derivative; the gradient there is taken as 0 (the values cannot spread
    less), not NaN.
    """
    a = np.asarray(data_of(x))
    if a.dtype.kind in "iub":
        a = a.astype("float32")
    axes = _axes(axis, a.ndim)
    centered = a - np.mean(a, axis=axes, keepdims=True)
    spread = np.sqrt(np.mean(np.square(centered), axis=axes, keepdims=True))
    count = math.prod(a.shape[i] for i in axes)

    def backward(g):
        g = g if keepdims else (np.expand_dims(g, axes) if axes else g)
        safe = np.where(spread > 0, spread, 1)
        return (np.where(spread > 0, g * centered / (count * safe), 0).astype(a.dtype, copy=False),)

    value = spread if keepdims else np.squeeze(spread, axis=axes) if axes else spread
    return _unary(x, value, backward)


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


def cumsum(x, axis=None, dtype=None):
    a = np.asarray(data_of(x))
    if dtype is not None:
        a = a.astype(standardize_dtype(dtype))
    if axis is None:
        out = np.cumsum(a.ravel())
        return _unary(x, out, lambda g: (np.flip(np.cumsum(np.flip(g))).reshape(a.shape),))
    out = np.cumsum(a, axis=axis)
    return _unary(
        x, out, lambda g: (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)
    )


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's argument name
    """Vector norms (any `ord`) and the Frobenius matrix norm."""
    ndim = np.ndim(data_of(x))
    is_matrix = (axis is None and ndim == 2) or (isinstance(axis, (tuple, list)) and len(axis) == 2)
    if ord in (None, "fro", "euclidean") or (ord == 2 and not is_matrix):
        return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
    if is_matrix:
        raise NotImplementedError(
            f"ops.norm: of the matrix norms only the Frobenius norm (ord=None or 'fro') is "
            f"available, got ord={ord!r}."
        )
    if ord == np.inf:
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(x), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, (int, float)) and ord > 0:
        return power(sum(power(abs(x), ord), axis=axis, keepdims=keepdims), 1.0 / ord)
    raise ValueError(f"ops.norm: `ord` must be a positive number, inf, -inf, None or 'fro', got {ord!r}.")


# -- comparisons and logic (no gradient) --------------------------------------
def _compare(function):
    def compare(x1, x2):
        return Tensor(function(data_of(x1), data_of(x2)))

    compare.__name__ = function.__name__
    compare.__doc__ = f"Element-wise {function.__name__} (a bool tensor, no gradient)."
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


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors (no gradient).

    A label outside [0, num_classes) becomes a row of zeros, as in Keras.
    """
    if sparse:
        raise ValueError("ops.one_hot: mlkit has only dense tensors; call it with sparse=False.")
    labels = np.asarray(data_of(x))
    if labels.dtype.kind not in "iub":
        if labels.dtype.kind != "f" or not np.all(labels == np.round(labels)):
            raise TypeError(
                f"ops.one_hot expects integer class labels, got values of dtype {labels.dtype}. "
                "Pass labels such as [0, 2, 1] (cast them with ops.cast(x, 'int32'))."
            )
        labels = labels.astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(standardize_dtype(dtype))
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return Tensor(out)
