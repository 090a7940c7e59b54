"""`mlkit.Variable`: a tensor whose value can be changed in place — a weight.

Ops read a variable like any tensor; a trainable variable used inside a
`GradientTape` becomes a leaf of the graph, so the tape can hand back its
gradient. `assign` replaces the value (same shape, cast to the variable's
dtype), which is how optimizers and non-trainable state (running sums,
moving averages) change.

    >>> import mlkit
    >>> v = mlkit.Variable([1.0, 2.0], name="v")
    >>> v.assign_add([1.0, 1.0]).numpy().tolist()
    [2.0, 3.0]
    >>> v
    <Variable path=v, shape=(2,), dtype=float32, value=[2. 3.]>

Mixed precision: inside a layer whose policy is 'mixed_float16', a float
variable created with `autocast=True` is read as float16 (see
`mlkit.dtype_policies.autocast`), while its stored value stays float32.
"""

import numpy as np

from mlkit.dtype_policies.autocast import state as _autocast
from mlkit.ops.core import data_of, standardize_dtype
from mlkit.ops.tensor import Tensor
from mlkit.utils.naming import unique_name

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = ("none", "on_read", "on_write", "auto")

# Called as check(name, shape, dtype) before an initializer allocates a new
# variable's value: loading a file adds one to bound what the file may ask for.
before_allocating = []


class Variable(Tensor):
    __slots__ = (
        "_value",
        "name",
        "path",
        "trainable",
        "autocast",
        "aggregation",
        "synchronization",
        "constraint",
        "regularizer",
        "_initializer",
        "_tracked_trainable",
    )

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        constraint=None,
    ):
        super().__init__(None)
        name = unique_name("variable") if name is None else name
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                f"Variable: `name` must be a string without '/', got name={name!r}. "
                "The '/' separates a layer's name from the weight's name in `path`."
            )
        aggregation = "none" if aggregation is None else aggregation
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Variable {name!r}: invalid aggregation={aggregation!r}; "
                f"use one of {', '.join(repr(a) for a in _AGGREGATIONS)} (or None)."
            )
        synchronization = "none" if synchronization is None else synchronization
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(
                f"Variable {name!r}: invalid synchronization={synchronization!r}; "
                f"use one of {', '.join(repr(s) for s in _SYNCHRONIZATIONS)} (or None)."
            )
        self.name = name
        self.path = name
        self.autocast = bool(autocast)
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.constraint = constraint
        self.regularizer = None
        self._initializer = initializer
        self._tracked_trainable = None  # set by the first layer that tracks it (see Layer)
        if callable(initializer) or isinstance(initializer, str):
            if shape is None:
                raise ValueError(
                    f"Variable {name!r}: an initializer ({initializer!r}) needs a `shape`; "
                    "pass shape=(...) or pass the initial value itself."
                )
            from mlkit import initializers

            dtype = standardize_dtype(dtype)
            for check in before_allocating:
                check(name, tuple(shape), dtype)
            value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        else:
            value = data_of(initializer)
            from_python = not isinstance(initializer, (np.ndarray, np.generic, Tensor))
            if dtype is None and from_python:
                # Python numbers become floatx / int32 (as in convert_to_tensor and Keras).
                kind = np.asarray(value).dtype.kind
                dtype = standardize_dtype(None) if kind == "f" else "int32" if kind in "iu" else None
            if shape is not None and tuple(np.shape(value)) != tuple(shape):
                raise ValueError(
                    f"Variable {name!r}: the initial value has shape {np.shape(value)} but "
                    f"shape={tuple(shape)} was requested."
                )
        self._value = np.array(data_of(value), dtype=None if dtype is None else standardize_dtype(dtype))
        self.trainable = bool(trainable)

    # The stored array. Ops read it through `data`, which applies autocasting.
    @property
    def data(self):
        if _autocast.dtype is None or not self.autocast:
            return self._value
        return self._autocast_value(_autocast.dtype)

    @data.setter
    def data(self, value):
        self._value = value

    def _autocast_value(self, dtype):
        value = self._value
        if value.dtype.kind != "f" or value.dtype.name == dtype:
            return value
        return value.astype(dtype)

    # A variable needs a gradient exactly when it is trainable.
    @property
    def requires_grad(self):
        return self.trainable

    @requires_grad.setter
    def requires_grad(self, value):
        pass  # derived from `trainable`; set that instead

    # Shape facts come from the stored array: no cast needed to answer them.
    @property
    def shape(self):
        return self._value.shape

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    @property
    def value(self):
        """The current value as a tensor (a view that stays differentiable).

        Its `.grad` is the variable's gradient from `loss.backward()`, read
        as `variable.value.grad` as on Keras's torch backend.
        """
        from mlkit.ops.array import reshape

        view = reshape(self, self._value.shape)
        view.grad = self.grad
        return view

    def numpy(self):
        """A copy of the value as a NumPy array (autocast inside a mixed-precision call)."""
        return np.array(self.data)

    def assign(self, value):
        """Set a new value of the same shape, cast to the variable's dtype.

        Returns the new value as a tensor, as in Keras.
        """
        new = np.asarray(data_of(value))
        if new.shape != self._value.shape:
            raise ValueError(
                f"Variable {self.path!r} has shape {self._value.shape}, but the value "
                f"given to assign() has shape {new.shape}. Pass a value of shape {self._value.shape}."
            )
        self._value = new.astype(self._value.dtype, copy=True)
        return Tensor(self._value)

    def assign_add(self, value):
        return self.assign(self._value + np.asarray(data_of(value)))

    def assign_sub(self, value):
        return self.assign(self._value - np.asarray(data_of(value)))

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={self._value}>"
        )
