"""`mlkit.initializers`: how a new weight gets its first values.

    >>> from mlkit import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((3, 4)).shape
    (3, 4)

`initializer(shape, dtype)` returns a tensor. The variance-scaling family
(Glorot, He, LeCun) scales the spread by the number of inputs/outputs of the
weight, so activations keep a similar size from layer to layer.
"""

from mlkit.initializers.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    Initializer,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)
from mlkit.utils.lookup import resolve as _resolve

_BY_NAME = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}
_BY_NAME.update({name: cls for name, cls in _CLASSES.items()})


def get(identifier):
    """An initializer from a name ('he_normal'), a config dict or an object."""
    return _resolve(identifier, "initializer", _BY_NAME, _CLASSES)


def serialize(initializer):
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    from mlkit.saving import deserialize_keras_object

    return deserialize_keras_object(config, module_objects=_CLASSES, custom_objects=custom_objects)


# Keras also exposes the classes under snake_case names.
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal, identity = LecunNormal, LecunUniform, Orthogonal, Identity
variance_scaling = VarianceScaling
