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
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object
from mlkit.utils.lookup import resolve as _resolve
from mlkit.utils.naming import to_snake_case as _to_snake_case

# Keras also exposes the classes under snake_case names and a few aliases.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
variance_scaling = VarianceScaling
OrthogonalInitializer, IdentityInitializer = Orthogonal, Identity

_CLASSES = [
    Initializer, Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform,
    Orthogonal,
]
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({_to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "one": Ones,
    "zero": Zeros,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
})
del _BY_NAME["initializer"]  # the abstract base class is no initializer to use


def get(identifier):
    """An initializer from a name ('he_normal'), a config dict, a class or an object."""
    return _resolve(identifier, "initializer", _BY_NAME, deserialize)


def serialize(initializer):
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(
        config, module_objects=_BY_NAME, custom_objects=custom_objects, printable_module_name="initializer"
    )
