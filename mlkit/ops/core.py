"""Moving values in and out of tensors: conversion, dtypes, casting, creation.

    >>> from mlkit import ops
    >>> ops.convert_to_tensor([1.0, 2.0]).dtype   # Python floats become floatx
    'float32'
    >>> ops.zeros((2, 2)).shape
    (2, 2)
"""

import numpy as np

from mlkit import backend
from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.tensor import Tensor

_FLOAT_ALIASES = {"float": None, "int": "int32", "bool": "bool"}


def standardize_dtype(dtype):
    """A dtype name string ('float32', 'int64', ...) for any dtype-like value."""
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, str) and dtype in _FLOAT_ALIASES:
        return _FLOAT_ALIASES[dtype] or backend.floatx()
    name = getattr(dtype, "name", None)
    if isinstance(name, str) and not isinstance(dtype, np.dtype):
        # A dtype policy or anything else carrying a name: use its name.
        return standardize_dtype(getattr(dtype, "compute_dtype", name))
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(
            f"Unknown dtype {dtype!r}. Pass a dtype name such as 'float32', 'float64' or 'int32'."
        ) from None


def is_float_dtype(dtype):
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


def convert_to_tensor(x, dtype=None, sparse=None):
    """`x` (a tensor, array, list or number) as a tensor.

    Python floats and lists of floats become the default float type; NumPy
    arrays keep their dtype unless `dtype` is given.
    """
    if isinstance(x, Tensor):
        if dtype is None or x.dtype == standardize_dtype(dtype):
            return x
        return cast(x, dtype)
    if dtype is not None:
        return Tensor(np.asarray(x, dtype=standardize_dtype(dtype)))
    if isinstance(x, np.ndarray):
        return Tensor(x)
    value = np.asarray(x)
    if value.dtype == np.float64 and not isinstance(x, np.generic):
        value = value.astype(backend.floatx())
    elif value.dtype == np.int64 and not isinstance(x, np.generic):
        value = value.astype("int32")
    elif value.dtype.kind not in "biufc":
        raise TypeError(
            f"Cannot convert {type(x).__name__} of dtype {value.dtype} to a tensor; "
            "pass numbers, NumPy arrays or nested lists of numbers."
        )
    return Tensor(value)


def convert_to_numpy(x):
    """The value of `x` as a NumPy array (a copy for tensors)."""
    if isinstance(x, Tensor):
        return np.array(x.data)
    return np.asarray(x)


def cast(x, dtype):
    """`x` converted to `dtype`; the gradient is cast back to x's dtype."""
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


def dtype(x):
    return standardize_dtype(np.asarray(data_of(x)).dtype)


def is_tensor(x):
    return isinstance(x, Tensor)


# -- creating tensors ---------------------------------------------------------
def _shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(n) for n in shape)


def zeros(shape, dtype=None):
    return Tensor(np.zeros(_shape_tuple(shape), dtype=standardize_dtype(dtype)))


def ones(shape, dtype=None):
    return Tensor(np.ones(_shape_tuple(shape), dtype=standardize_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    return Tensor(np.full(_shape_tuple(shape), data_of(fill_value), dtype=standardize_dtype(dtype)))


def zeros_like(x, dtype=None):
    value = np.asarray(data_of(x))
    return Tensor(np.zeros(value.shape, dtype=value.dtype if dtype is None else standardize_dtype(dtype)))


def ones_like(x, dtype=None):
    value = np.asarray(data_of(x))
    return Tensor(np.ones(value.shape, dtype=value.dtype if dtype is None else standardize_dtype(dtype)))


def full_like(x, fill_value, dtype=None):
    value = np.asarray(data_of(x))
    target = value.dtype if dtype is None else standardize_dtype(dtype)
    return Tensor(np.full(value.shape, data_of(fill_value), dtype=target))


def eye(N, M=None, k=0, dtype=None):
    return Tensor(np.eye(N, M, k=k, dtype=standardize_dtype(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    if dtype is None:
        values = (start, stop, step)
        is_float = any(isinstance(v, float) for v in values if v is not None)
        dtype = backend.floatx() if is_float else "int32"
    return Tensor(np.arange(start, stop, step, dtype=standardize_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    return Tensor(np.linspace(start, stop, num, endpoint=endpoint, dtype=standardize_dtype(dtype)))
