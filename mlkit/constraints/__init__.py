"""`mlkit.constraints`: rules a weight must satisfy after every update.

The optimizer applies `constraint(weight)` right after each step, so a
`MaxNorm(2.0)` kernel never has a column longer than 2.

    >>> from mlkit import constraints, ops
    >>> clipped = constraints.NonNeg()(ops.convert_to_tensor([-1.0, 2.0]))
    >>> clipped.numpy().tolist()
    [0.0, 2.0]
"""

from mlkit.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from mlkit.utils.lookup import resolve as _resolve

_CLASSES = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_BY_NAME = {
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    **_CLASSES,
}
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm


def get(identifier):
    """A constraint from a name ('max_norm'), a config dict or an object."""
    return _resolve(identifier, "constraint", _BY_NAME, _CLASSES)


def serialize(constraint):
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    from mlkit.saving import deserialize_keras_object

    return deserialize_keras_object(config, module_objects=_CLASSES, custom_objects=custom_objects)
