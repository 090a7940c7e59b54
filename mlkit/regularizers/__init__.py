"""`mlkit.regularizers`: penalties on weights, added to the training loss.

    >>> from mlkit import regularizers, ops
    >>> penalty = regularizers.l2(0.01)
    >>> round(float(penalty(ops.ones((2, 2)))), 6)   # 0.01 * (1 + 1 + 1 + 1)
    0.04

A layer given `kernel_regularizer=...` puts `regularizer(kernel)` in its
`losses`, and `fit` adds every loss there to the loss it minimizes.
"""

from mlkit.regularizers.regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object
from mlkit.utils.lookup import resolve as _resolve
from mlkit.utils.naming import to_snake_case as _to_snake_case

# Keras exposes the classes under these lowercase names too: regularizers.l2(0.01).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = [Regularizer, L1, L2, L1L2, OrthogonalRegularizer]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME["l1_l2"] = L1L2
del _BY_NAME["regularizer"]  # the base class penalizes nothing


def get(identifier):
    """A regularizer from a name ('l2'), a config dict, a class or an object."""
    return _resolve(identifier, "regularizer", _BY_NAME, deserialize)


def serialize(regularizer):
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(
        config, module_objects=_BY_NAME, custom_objects=custom_objects, printable_module_name="regularizer"
    )
