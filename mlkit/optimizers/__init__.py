"""`mlkit.optimizers`: the rules that update weights from gradients.

    >>> import mlkit
    >>> from mlkit import ops, optimizers
    >>> w = mlkit.Variable([3.0], name="w")
    >>> optimizer = optimizers.get("adam")            # same as optimizers.Adam()
    >>> with mlkit.GradientTape() as tape:
    ...     loss = ops.sum(w * w)
    >>> optimizer.apply_gradients(zip(tape.gradient(loss, [w]), [w])).numpy()
    array(1)

`get` accepts a name ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', in any
case, or a class name such as 'Adam'), a config dict from `serialize`, or
an optimizer object.
"""

from mlkit.optimizers import schedules
from mlkit.optimizers.adagrad import Adagrad
from mlkit.optimizers.adam import Adam
from mlkit.optimizers.adamw import AdamW
from mlkit.optimizers.optimizer import Optimizer
from mlkit.optimizers.rmsprop import RMSprop
from mlkit.optimizers.sgd import SGD

ALL_OBJECTS = (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad)
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer):
    """The optimizer's configuration as a JSON-able dict (no state)."""
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """A new optimizer from a `serialize()` dict; built-in class names in any case."""
    from mlkit.saving import deserialize_keras_object

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Cannot deserialize an optimizer from {config!r}: expected a dict with 'class_name' and "
            "'config' keys, as written by optimizers.serialize()."
        )
    config = dict(config)
    class_name = config["class_name"]
    if isinstance(class_name, str) and class_name.lower() in ALL_OBJECTS_DICT:
        config["class_name"] = class_name.lower()
        if config.get("registered_name") == class_name:
            config["registered_name"] = None
    return deserialize_keras_object(
        config,
        module_objects=ALL_OBJECTS_DICT,
        custom_objects=custom_objects,
        printable_module_name="optimizer",
    )


def get(identifier):
    """An optimizer from a name, a config dict or an optimizer object."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier.lower() not in ALL_OBJECTS_DICT or identifier.lower() == "optimizer":
            known = ", ".join(sorted(name for name in ALL_OBJECTS_DICT if name != "optimizer"))
            raise ValueError(
                f"Unknown optimizer {identifier!r}. Use one of: {known} (any case), or pass an "
                "optimizer object such as mlkit.optimizers.Adam(learning_rate=1e-3)."
            )
        obj = ALL_OBJECTS_DICT[identifier.lower()]()
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    hint = f" Pass an instance, e.g. {identifier.__name__}()." if isinstance(identifier, type) else ""
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}.{hint}")
