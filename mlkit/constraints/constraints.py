"""The constraint classes: each maps a weight to its projected value.

`axis` names the axes a norm is taken over: for a Dense kernel (inputs,
units), axis=0 gives one norm per unit (its incoming weights); for a Conv2D
kernel (rows, cols, in, out), axis=[0, 1, 2] gives one norm per filter.

    >>> from mlkit import constraints, ops
    >>> w = ops.convert_to_tensor([[3.0], [4.0]])       # one unit, norm 5
    >>> [round(v, 3) for v in constraints.MaxNorm(max_value=1.0)(w).numpy().ravel().tolist()]
    [0.6, 0.8]
"""

from mlkit import backend, ops
from mlkit.utils.arguments import check_number


class Constraint:
    """Base class: subclass it and implement `__call__(w)` returning the new w."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale any slice along `axis` whose L2 norm exceeds `max_value`.

    For a Dense kernel (inputs, units), axis=0 constrains each unit's
    incoming weight vector.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = check_number("MaxNorm", "max_value", max_value, at_least=0)
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0, self.max_value)
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w):
        return ops.maximum(ops.convert_to_tensor(w), 0.0)


class UnitNorm(Constraint):
    """Scale every slice along `axis` to L2 norm 1."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep slice norms in [min_value, max_value]; `rate` < 1 moves only part way."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        check_number("MinMaxNorm", "min_value", min_value, at_least=0)
        check_number("MinMaxNorm", "max_value", max_value, at_least=min_value,
                     hint="Norms are kept between min_value and max_value.")
        check_number("MinMaxNorm", "rate", rate, at_least=0, at_most=1)
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}
