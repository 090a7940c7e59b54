"""The tensor: a NumPy array that can remember how it was made.

A `Tensor` wraps an `np.ndarray` in `.data`. While a `GradientTape` is
recording and one of an op's inputs needs a gradient, the op's result also
keeps its `parents` (the inputs) and a `grad_fn` that turns the gradient of
the result into gradients for each parent. Outside a tape nothing is
recorded, so inference costs only the NumPy work.

    >>> from mlkit import ops
    >>> x = ops.ones((2, 3))
    >>> (x * 2 + 1).numpy().tolist()
    [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]

`loss.backward()` is the other way to get gradients, as on Keras's torch
backend: it fills the `.grad` of every trainable variable the loss was
computed from (see `mlkit.ops.autodiff.backward`).
"""

import numpy as np

from mlkit.backend.masking import get_keras_mask


_dtype_names = {}  # NumPy dtype -> its name, e.g. 'float32'


class Tensor:
    __slots__ = ("data", "parents", "grad_fn", "requires_grad", "grad", "_upstream", "__weakref__")

    # Make NumPy hand `array + tensor` over to `Tensor.__radd__` and friends
    # instead of treating the tensor as an object array.
    __array_ufunc__ = None

    def __init__(self, data, parents=(), grad_fn=None):
        self.data = data
        self.parents = parents
        self.grad_fn = grad_fn
        self.requires_grad = grad_fn is not None
        self.grad = None  # filled by backward() on the leaves (variables)
        self._upstream = None  # the gradient reaching this tensor, while a backward pass runs

    # -- what a tensor looks like -------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        dtype = self.data.dtype
        name = _dtype_names.get(dtype)
        if name is None:  # NumPy works `dtype.name` out anew (in Python) at every access
            name = _dtype_names[dtype] = dtype.name
        return name

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def numpy(self):
        """A copy of the value as a NumPy array."""
        return np.array(self.data)

    def __array__(self, dtype=None, copy=None):
        # np.asarray(loss) must get an ndarray even when .data is a NumPy
        # scalar (a 0-d result), as NumPy 2 requires of __array__.
        if copy:
            return np.array(self.data, dtype=dtype)
        return np.asarray(self.data, dtype=dtype)

    @property
    def _keras_mask(self):
        """The mask a layer attached to this tensor, or None (read as in Keras; see backend.masking)."""
        return get_keras_mask(self)

    def backward(self):
        """Add the gradient of this (scalar) tensor to the `.grad` of every variable it came from.

        Torch's idiom, as on Keras's torch backend: gradients add up over
        calls until `model.zero_grad()` clears them; `variable.value.grad`
        reads one. The ops must have been recorded: inside `fit`'s
        `train_step` they are; elsewhere, inside `GradientTape()`.
        """
        _autodiff.backward(self)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a scalar) is undefined.")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("Iterating over a 0-d tensor (a scalar) is not possible.")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return int(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        return f"tensor({body}, shape={self.shape}, dtype={self.dtype})"

    def __format__(self, spec):
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    # Tensors are compared element-wise like arrays, so they hash by identity.
    __hash__ = object.__hash__

    # -- Python operators, each one an op from mlkit.ops --------------------
    def __add__(self, other):
        return _math.add(self, other)

    def __radd__(self, other):
        return _math.add(other, self)

    def __sub__(self, other):
        return _math.subtract(self, other)

    def __rsub__(self, other):
        return _math.subtract(other, self)

    def __mul__(self, other):
        return _math.multiply(self, other)

    def __rmul__(self, other):
        return _math.multiply(other, self)

    def __truediv__(self, other):
        return _math.divide(self, other)

    def __rtruediv__(self, other):
        return _math.divide(other, self)

    def __floordiv__(self, other):
        return _math.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _math.floor_divide(other, self)

    def __mod__(self, other):
        return _math.mod(self, other)

    def __rmod__(self, other):
        return _math.mod(other, self)

    def __pow__(self, other):
        return _math.power(self, other)

    def __rpow__(self, other):
        return _math.power(other, self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __neg__(self):
        return _math.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _math.abs(self)

    def __eq__(self, other):
        return _math.equal(self, other)

    def __ne__(self, other):
        return _math.not_equal(self, other)

    def __lt__(self, other):
        return _math.less(self, other)

    def __le__(self, other):
        return _math.less_equal(self, other)

    def __gt__(self, other):
        return _math.greater(self, other)

    def __ge__(self, other):
        return _math.greater_equal(self, other)

    def __getitem__(self, index):
        return _array.get_item(self, index)

    @property
    def T(self):
        return _array.transpose(self)

    def astype(self, dtype):
        return _math.cast(self, dtype)


# The operator methods above call ops from modules that themselves import
# Tensor; `mlkit.ops` binds these names once everything is loaded.
_array = _autodiff = _linalg = _math = None
