"""`mlkit.constraints`: rules a weight must satisfy after every update.

The optimizer applies `constraint(weight)` right after each step, so a
`MaxNorm(2.0)` kernel never has a column longer than 2.

    >>> from mlkit import constraints, ops
    >>> clipped = constraints.NonNeg()(ops.convert_to_tensor([-1.0, 2.0]))
    >>> clipped.numpy().tolist()
    [0.0, 2.0]
"""

from mlkit.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object
from mlkit.utils.lookup import resolve as _resolve
from mlkit.utils.naming import to_snake_case as _to_snake_case

max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_CLASSES = [Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES})
del _BY_NAME["constraint"]  # the base class constrains nothing


def get(identifier):
    """A constraint from a name ('max_norm'), a config dict, a class or an object."""
    return _resolve(identifier, "constraint", _BY_NAME, deserialize)


def serialize(constraint):
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(
        config, module_objects=_BY_NAME, custom_objects=custom_objects, printable_module_name="constraint"
    )
