"""The regularizer classes: each maps a weight to a scalar penalty.

Any function `weight -> scalar tensor` works as a regularizer; subclass
`Regularizer` (and give it `get_config`) when it must be saved with a model:

    >>> from mlkit import ops, regularizers
    >>> class Sum(regularizers.Regularizer):
    ...     def __init__(self, factor=1.0):
    ...         self.factor = factor
    ...     def __call__(self, x):
    ...         return self.factor * ops.sum(x)
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> float(Sum(0.5)(ops.ones((2, 2))))
    2.0
"""

import math

from mlkit import ops


class Regularizer:
    """Base class: subclass it and implement `__call__(x)` returning a scalar."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_config() to be saved with a model."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_factor(owner, name, value, default):
    """A penalty factor: a finite number >= 0 (None means the default)."""
    if value is None:
        value = default
    valid = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not valid or not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative float, got {name}={value!r}.")
    return float(value)


class L1(Regularizer):
    """l1 * sum(|x|): pushes weights to exactly zero (sparse weights)."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("L1", "l1", l1, 0.01)

    def __call__(self, x):
        return self.l1 * ops.sum(ops.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x^2): keeps weights small (weight decay)."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("L2", "l2", l2, 0.01)

    def __call__(self, x):
        return self.l2 * ops.sum(ops.square(x))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2). Both factors default to 0."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor("L1L2", "l1", l1, 0.0)
        self.l2 = _check_factor("L1L2", "l2", l2, 0.0)

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = penalty + self.l1 * ops.sum(ops.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * ops.sum(ops.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalize rows (mode='rows') or columns of a 2-d weight for not being orthogonal.

    The penalty is `factor` times the mean |cosine| between distinct rows.
    """

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got mode={mode!r}."
            )
        self.factor = _check_factor("OrthogonalRegularizer", "factor", factor, 0.01)
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(
                f"OrthogonalRegularizer needs a 2-d weight (rows, columns), got shape {tuple(x.shape)}."
            )
        if self.mode == "columns":
            x = ops.transpose(x)
        normalized = x / ops.maximum(ops.norm(x, axis=1, keepdims=True), 1e-7)
        products = ops.matmul(normalized, ops.transpose(normalized))
        size = x.shape[0]
        off_diagonal = products * (1 - ops.eye(size, dtype=products.dtype))
        return self.factor * ops.sum(ops.abs(off_diagonal)) / (size * (size - 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}
