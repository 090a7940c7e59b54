"""Moving values in and out of tensors: conversion, dtypes, casting, creation.

    >>> from mlkit import ops
    >>> ops.convert_to_tensor([1.0, 2.0]).dtype   # Python floats become floatx
    'float32'
    >>> ops.zeros((2, 2)).shape
    (2, 2)

Dtypes are NumPy's, named by strings ('float32', 'int32', 'bool'). Python
numbers and lists follow Keras: floats become `backend.floatx()` (float32)
and ints become int32; NumPy arrays keep the dtype they have.
"""

import numpy as np

from mlkit import backend
from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.tensor import Tensor

_ALIASES = {"float": None, "int": "int32", "bool": "bool"}


_known_dtypes = {}  # dtype-like value -> name, for the values seen so far


def standardize_dtype(dtype):
    """A dtype name string ('float32', 'int64', ...) for any dtype-like value.

    `None` means the default float type, `backend.floatx()`.
    """
    if dtype is None:
        return backend.floatx()
    try:
        return _known_dtypes[dtype]  # runs on every training step: skip the work below
    except (KeyError, TypeError):
        pass
    name = _resolve_dtype(dtype)
    if isinstance(dtype, (str, np.dtype, type)) and dtype not in _ALIASES:
        _known_dtypes[dtype] = name
    return name


def _resolve_dtype(dtype):
    if isinstance(dtype, str) and dtype in _ALIASES:
        return _ALIASES[dtype] or backend.floatx()
    name = getattr(dtype, "name", None)
    if isinstance(name, str) and not isinstance(dtype, np.dtype):
        # A dtype policy or anything else carrying a name: use its name.
        return standardize_dtype(getattr(dtype, "compute_dtype", name))
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind not in "biufc":
        raise ValueError(
            f"Unknown dtype {dtype!r}. Pass a dtype name such as 'float32', 'float64', "
            "'int32' or 'bool'."
        )
    return resolved.name


def is_float_dtype(dtype):
    """True for float16/32/64 (names or NumPy dtypes)."""
    return np.dtype(dtype).kind == "f"


def data_of(x):
    """The NumPy value behind `x`: a tensor's array, or `x` itself.

    Python scalars stay Python scalars so that `tensor * 2.0` keeps the
    tensor's dtype (NumPy 2 treats Python numbers as weakly typed).
    """
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (int, float, bool, np.ndarray, np.generic)):
        return x
    return np.asarray(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` (a tensor, array, list or number) as a tensor.

    Python floats and lists of floats become the default float type, Python
    ints become int32; NumPy arrays keep their dtype unless `dtype` is given.
    A tensor of the right dtype is returned as it is.
    """
    if sparse or ragged:
        raise ValueError(
            "convert_to_tensor: mlkit has only dense tensors; call it with sparse=None and "
            "ragged=None (the defaults)."
        )
    if isinstance(x, Tensor):
        if dtype is None or x.dtype == standardize_dtype(dtype):
            return x
        return cast(x, dtype)
    try:
        value = np.asarray(x) if dtype is None else np.asarray(x, dtype=standardize_dtype(dtype))
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"Cannot convert {_describe(x)} to a tensor ({error}). Pass a number, a NumPy "
            "array or a nested list whose rows all have the same length."
        ) from None
    if value.dtype.kind not in "biufc":
        raise TypeError(
            f"Cannot convert {_describe(x)} to a tensor: its values have dtype {value.dtype}. "
            "Pass numbers, NumPy arrays or nested lists of numbers."
        )
    if dtype is None and not isinstance(x, (np.ndarray, np.generic)):
        if value.dtype == np.float64:
            value = value.astype(backend.floatx())
        elif value.dtype == np.int64:
            value = value.astype("int32")
    return Tensor(value)


def _describe(x):
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def convert_to_numpy(x):
    """The value of `x` as a NumPy array (a copy for tensors)."""
    if isinstance(x, Tensor):
        return np.array(x.data)
    return np.asarray(x)


def cast(x, dtype):
    """`x` converted to `dtype`; the gradient is cast back to x's dtype.

    Only casts between float types pass a gradient: an integer result cannot
    be differentiated.
    """
    dtype = standardize_dtype(dtype)
    value = data_of(x)
    out = np.asarray(value).astype(dtype)
    if needs_grad(x) and is_float_dtype(dtype):
        source_dtype = value.dtype
        return record(out, (x,), lambda g: (g.astype(source_dtype),))
    return Tensor(out)


def shape(x):
    """The shape of `x` as a tuple of ints."""
    return tuple(np.shape(data_of(x)))


def ndim(x):
    """The number of axes of `x`."""
    return int(np.ndim(data_of(x)))


def size(x):
    """The number of values in `x`."""
    return int(np.size(data_of(x)))


def dtype(x):
    """The dtype name of `x` ('float32', 'int32', ...)."""
    if isinstance(x, Tensor):
        return x.dtype
    return convert_to_tensor(x).dtype


def is_tensor(x):
    return isinstance(x, Tensor)


# -- creating tensors ---------------------------------------------------------
def _shape_tuple(shape, where):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        dims = None
    if dims is None or any(n < 0 for n in dims):
        raise ValueError(
            f"{where}: `shape` must be a tuple of non-negative ints such as (2, 3), got {shape!r}."
        )
    return dims


def zeros(shape, dtype=None):
    return Tensor(np.zeros(_shape_tuple(shape, "ops.zeros"), dtype=standardize_dtype(dtype)))


def ones(shape, dtype=None):
    return Tensor(np.ones(_shape_tuple(shape, "ops.ones"), dtype=standardize_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    value = np.full(_shape_tuple(shape, "ops.full"), data_of(fill_value), dtype=standardize_dtype(dtype))
    return Tensor(value)


def _like(x, dtype):
    value = np.asarray(data_of(x))
    return value.shape, (value.dtype if dtype is None else standardize_dtype(dtype))


def zeros_like(x, dtype=None):
    shape_, dtype_ = _like(x, dtype)
    return Tensor(np.zeros(shape_, dtype=dtype_))


def ones_like(x, dtype=None):
    shape_, dtype_ = _like(x, dtype)
    return Tensor(np.ones(shape_, dtype=dtype_))


def full_like(x, fill_value, dtype=None):
    shape_, dtype_ = _like(x, dtype)
    return Tensor(np.full(shape_, data_of(fill_value), dtype=dtype_))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's argument names
    return Tensor(np.eye(N, M, k=k, dtype=standardize_dtype(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop): int32 for ints, floatx for floats."""
    if dtype is None:
        values = (start, stop, step)
        is_float = any(isinstance(v, (float, np.floating)) for v in values if v is not None)
        dtype = backend.floatx() if is_float else "int32"
    return Tensor(np.arange(start, stop, step, dtype=standardize_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    values, spacing = np.linspace(
        start, stop, num, endpoint=endpoint, retstep=True, dtype=standardize_dtype(dtype), axis=axis
    )
    return (Tensor(values), spacing) if retstep else Tensor(values)
