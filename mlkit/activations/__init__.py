"""`mlkit.activations`: the element-wise functions a layer applies last.

    >>> from mlkit import activations, ops
    >>> relu = activations.get("relu")
    >>> relu(ops.convert_to_tensor([-1.0, 3.0])).numpy().tolist()
    [0.0, 3.0]
    >>> activations.serialize(relu)
    'relu'

`get(None)` is `linear` (the identity), so `Dense(4)` has no activation.
"""

from mlkit.activations.activations import (
    elu,
    exponential,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    linear,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object

ALL = {
    fn.__name__: fn
    for fn in (
        elu, exponential, gelu, hard_sigmoid, hard_silu, leaky_relu, linear, log_softmax, mish,
        relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, tanh,
    )
}
ALL["swish"] = swish
ALL["hard_swish"] = hard_swish


def _unknown(identifier):
    return ValueError(
        f"Unknown activation {identifier!r}. Use one of: {', '.join(sorted(ALL))}; "
        "or pass a function that maps a tensor to a tensor."
    )


def get(identifier):
    """An activation function from None, a name ('relu'), a config dict or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in ALL:
            raise _unknown(identifier)
        return ALL[identifier]
    if isinstance(identifier, dict):
        if identifier.get("class_name") == "function" and isinstance(identifier.get("config"), str):
            # How Keras writes a built-in function: {"class_name": "function", "config": "relu"}.
            name = identifier["config"]
            if name in ALL:
                return ALL[name]
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation {identifier!r} of type {type(identifier).__name__}; "
        "pass a name such as 'relu' or a callable."
    )


def serialize(activation):
    """The name of a built-in activation, or the config of an activation object."""
    name = getattr(activation, "__name__", None)
    if name in ALL and ALL[name] is activation:
        return name
    return serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        found = (custom_objects or {}).get(config)
        return found if found is not None else get(config)
    return deserialize_keras_object(
        config, module_objects=ALL, custom_objects=custom_objects, printable_module_name="activation"
    )
