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
"""

import numpy as np

from mlkit.ops.core import data_of, standardize_dtype
from mlkit.ops.tensor import Tensor


class Variable(Tensor):
    __slots__ = ("name", "path", "trainable", "autocast", "aggregation", "constraint", "regularizer", "_initializer")

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        name=None,
        constraint=None,
    ):
        super().__init__(None)
        self.name = name or "variable"
        self.path = self.name
        self.autocast = autocast
        self.aggregation = aggregation
        self.constraint = constraint
        self.regularizer = None
        self._initializer = initializer
        if callable(initializer) or isinstance(initializer, str):
            if shape is None:
                raise ValueError(
                    f"Variable {self.name!r}: an initializer ({initializer!r}) needs a `shape`; "
                    "pass shape=(...) or pass the initial value itself."
                )
            from mlkit import initializers

            dtype = standardize_dtype(dtype)
            value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        else:
            value = data_of(initializer)
            if dtype is None and np.asarray(value).dtype.kind == "f" and not isinstance(value, np.ndarray):
                dtype = standardize_dtype(None)
            if shape is not None and tuple(np.shape(value)) != tuple(shape):
                raise ValueError(
                    f"Variable {self.name!r}: the initial value has shape {np.shape(value)} but "
                    f"shape={tuple(shape)} was requested."
                )
        self.data = np.array(data_of(value), dtype=None if dtype is None else standardize_dtype(dtype))
        self.trainable = trainable

    # A variable needs a gradient exactly when it is trainable.
    @property
    def requires_grad(self):
        return self.trainable

    @requires_grad.setter
    def requires_grad(self, value):
        pass  # derived from `trainable`; set that instead

    @property
    def value(self):
        """The current value as a tensor (a view that stays differentiable)."""
        from mlkit.ops.array import reshape

        return reshape(self, self.data.shape)

    def numpy(self):
        return np.array(self.data)

    def assign(self, value):
        """Set a new value of the same shape; returns the variable."""
        new = np.asarray(data_of(value))
        if new.shape != self.data.shape:
            raise ValueError(
                f"Variable {self.path!r} has shape {self.data.shape}, but the value "
                f"given to assign() has shape {new.shape}. Pass a value of shape {self.data.shape}."
            )
        self.data = new.astype(self.data.dtype, copy=True)
        return self

    def assign_add(self, value):
        return self.assign(self.data + np.asarray(data_of(value)))

    def assign_sub(self, value):
        return self.assign(self.data - np.asarray(data_of(value)))

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="    ")
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"trainable={self.trainable}, value={body}>"
        )
