"""Turning objects into JSON-able configs and back, with a registry for
custom classes.

A config is `{"module", "class_name", "config", "registered_name"}`: enough to
find the class again and call `cls.from_config(config)`. Nothing here runs
code from the file: classes are looked up by name among mlkit's own classes
and the ones you registered or pass in `custom_objects`.

    >>> from mlkit import saving, layers
    >>> @saving.register_keras_serializable(package="Course")
    ... class Twice(layers.Layer):
    ...     def call(self, x):
    ...         return x * 2
    >>> saving.get_registered_name(Twice)
    'Course>Twice'
"""

import json

_registry = {}
_scopes = []
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


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: make a custom class loadable by its name."""

    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if not hasattr(cls, "get_config"):
            raise ValueError(
                f"Cannot register {cls.__name__}: it has no get_config() method, so it could "
                "not be saved. Subclass a mlkit class or define get_config()."
            )
        _registry[registered] = cls
        cls._registered_name = registered
        return cls

    return decorator


def get_registered_name(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__dict__.get("_registered_name", cls.__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    for source in [custom_objects or {}] + _scopes[::-1] + [_registry, module_objects or {}]:
        if name in source:
            return source[name]
    return None


def get_custom_objects():
    """The global registry (name -> class) of registered custom objects."""
    return _registry


class custom_object_scope:
    """`with custom_object_scope({"MyLayer": MyLayer}):` — names usable when loading."""

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _scopes.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scopes.pop()
        return False


CustomObjectScope = custom_object_scope


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
    """`obj` as a JSON-able dict (None, plain values and strings pass through)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        name = getattr(obj, "name", type(obj).__name__)
        check_json(config, f"The config of {type(obj).__name__} {name!r}")
        cls = type(obj)
        builtin = cls.__module__.startswith("mlkit.")
        return {
            "module": cls.__module__.rsplit(".", 1)[0] if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": config,
            "registered_name": None if builtin else get_registered_name(cls),
        }
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(
        f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no get_config(). "
        "Give the class get_config()/from_config(), or register it with "
        "@mlkit.saving.register_keras_serializable()."
    )


def deserialize_keras_object(config, module_objects=None, custom_objects=None, printable_module_name="object"):
    """The object a config from `serialize_keras_object` describes."""
    if config is None or not isinstance(config, dict):
        return config
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
    if cls is None:
        raise ValueError(
            f"Unknown {printable_module_name}: {registered!r}. If it is a custom class, pass it "
            f"when loading (custom_objects={{{class_name!r}: {class_name}}}) or decorate it with "
            "@mlkit.saving.register_keras_serializable()."
        )
    inner = config["config"]
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)
