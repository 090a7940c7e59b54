"""`mlkit.regularizers`: penalties on weights, added to the training loss.

    >>> from mlkit import regularizers, ops
    >>> penalty = regularizers.l2(0.01)
    >>> float(penalty(ops.ones((2, 2))))   # 0.01 * (1 + 1 + 1 + 1)
    0.04

A layer given `kernel_regularizer=...` puts `regularizer(kernel)` in its
`losses`, and `fit` adds every loss there to the loss it minimizes.
"""

from mlkit.regularizers.regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer
from mlkit.utils.lookup import resolve as _resolve

_CLASSES = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer, **_CLASSES}

# Keras exposes the classes under these lowercase names too: regularizers.l2(0.01).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier):
    """A regularizer from a name ('l2'), a config dict or an object."""
    return _resolve(identifier, "regularizer", _BY_NAME, _CLASSES)


def serialize(regularizer):
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    from mlkit.saving import deserialize_keras_object

    return deserialize_keras_object(config, module_objects=_CLASSES, custom_objects=custom_objects)
