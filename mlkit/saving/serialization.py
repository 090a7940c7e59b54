"""Turning objects into JSON-able configs and back.

A config is `{"module", "class_name", "config", "registered_name"}`: enough to
find the class again and call `cls.from_config(config)`. Nothing here runs
code from the file: classes are looked up by name among mlkit's own classes
(`saveable_classes`) and the ones you registered or pass in `custom_objects`
(`object_registration`, whose names can be imported from here too).

This is the low level of `mlkit.saving`: it imports only the standard
library, NumPy, `mlkit.ops` and its two neighbours, so initializers, layers
and models all import it downward. Model files (`model_file`) build on it.

    >>> from mlkit import saving, layers
    >>> @saving.register_keras_serializable(package="Course")
    ... class Twice(layers.Layer):
    ...     def call(self, x):
    ...         return x * 2
    >>> saving.get_registered_name(Twice)
    'Course>Twice'
"""

import json

import numpy as np

from mlkit.ops.tensor import Tensor
from mlkit.saving.object_registration import (  # noqa: F401 (the registry's names, importable from here too)
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from mlkit.saving.saveable_classes import is_builtin, keras_module, keras_registered_name, saveable_classes

_unsafe = {"enabled": False, "scopes": []}


def enable_unsafe_deserialization():
    """Allow loading lambdas stored as bytecode everywhere (only for trusted files)."""
    _unsafe["enabled"] = True


class safe_mode_scope:
    """`with safe_mode_scope(False):` — what load_model(safe_mode=...) sets."""

    def __init__(self, safe_mode):
        self.safe_mode = safe_mode

    def __enter__(self):
        _unsafe["scopes"].append(self.safe_mode)
        return self

    def __exit__(self, *exc_info):
        _unsafe["scopes"].pop()
        return False


def in_safe_mode(explicit=None):
    """Whether code-carrying configs (lambdas) must be refused right now."""
    if explicit is not None:
        return bool(explicit)
    if _unsafe["scopes"] and _unsafe["scopes"][-1] is not None:
        return bool(_unsafe["scopes"][-1])
    return not _unsafe["enabled"]


def check_json(value, where):
    """Raise a clear error if `value` cannot be written as JSON."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{where} is not JSON-serializable ({error}). A config may only hold numbers, "
            "strings, booleans, None, lists and dicts of those: convert arrays with "
            ".tolist() and objects with their own get_config()."
        ) from None


def serialize_keras_object(obj):
    """`obj` as a JSON-able dict (None, plain values and strings pass through).

    NumPy arrays and tensors become `{"class_name": "__numpy__" / "__tensor__",
    "config": {"value": [...], "dtype": ...}}` and NumPy scalars plain
    numbers, as in Keras; anything else needs a `get_config()`.
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(item) for item in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, Tensor):
        return {"class_name": "__tensor__", "config": {"value": obj.numpy().tolist(), "dtype": obj.dtype}}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.item()
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        cls = type(obj)
        where = f"The config of {cls.__name__} {getattr(obj, 'name', cls.__name__)!r}"
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(
                f"{where} must be a dict, but {cls.__name__}.get_config() returned "
                f"{type(config).__name__}: {config!r}. Return e.g. "
                "`{**super().get_config(), 'units': self.units}`."
            )
        config = _serialize_config(config, where)
        check_json(config, where)
        builtin = is_builtin(cls)
        return {
            "module": keras_module(cls) if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": config,
            "registered_name": keras_registered_name(cls) if builtin else get_registered_name(cls),
        }
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(
        f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no get_config(). "
        "Give the class get_config()/from_config(), or register it with "
        "@mlkit.saving.register_keras_serializable()."
    )


def _serialize_config(config, where):
    """Serialize each value of a config, naming the key whose value cannot be saved."""
    serialized = {}
    for key, value in config.items():
        try:
            serialized[key] = serialize_keras_object(value)
        except TypeError as error:
            raise TypeError(
                f"{where} is not JSON-serializable: key {key!r} holds a {type(value).__name__}. "
                f"{error} A config may only hold numbers, strings, "
                "booleans, None, lists and dicts of those (arrays are converted): store the "
                "setting that created the object instead, or give its class get_config()."
            ) from None
    return serialized


def deserialize_keras_object(config, module_objects=None, custom_objects=None, printable_module_name="object"):
    """The object a config from `serialize_keras_object` describes."""
    if config is None or not isinstance(config, dict):
        return config
    special = _SPECIAL_VALUES.get(config.get("class_name"))
    if special is not None:
        return special(config["config"])
    if "class_name" not in config or "config" not in config:
        raise ValueError(
            f"Cannot deserialize {printable_module_name} from {config!r}: expected a dict with "
            "'class_name' and 'config' keys, as written by serialize_keras_object()."
        )
    class_name = config["class_name"]
    registered = config.get("registered_name") or class_name
    cls = get_registered_object(registered, custom_objects, module_objects) or get_registered_object(
        class_name, custom_objects, module_objects
    )
    if cls is None and config.get("registered_name") in (None, class_name):
        cls = _saveable_class(class_name)
    if cls is None:
        raise TypeError(
            f"Could not locate class {registered!r} ({printable_module_name}): Unknown classes are "
            f"never built. If it is a custom class, pass it when loading (custom_objects={{{class_name!r}: {class_name}}}) or "
            "decorate it with @mlkit.saving.register_keras_serializable()."
        )
    inner = config["config"]
    if not hasattr(cls, "from_config"):
        return cls(**inner)
    import inspect

    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def _saveable_class(class_name):
    """One of mlkit's classes made to be saved (see saveable_classes), found by name only.

    The module a config names is never imported: a file can only reach the
    classes on that list, whatever it says.
    """
    return saveable_classes().get(class_name)


# The plain values serialize_keras_object writes as {"class_name": "__...__"}.
_SPECIAL_VALUES = {
    "__numpy__": lambda config: np.array(config["value"], dtype=config["dtype"]),
    "__tensor__": lambda config: Tensor(np.array(config["value"], dtype=config["dtype"])),
    "__bytes__": lambda config: config["value"].encode("utf-8"),
}
