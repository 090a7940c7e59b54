"""The custom-object registry: how a saved name finds its class again.

A config names its class (`"class_name": "Twice"`, or `"Course>Twice"` for a
registered class). Loading looks that name up, in this order: the
`custom_objects` passed to the loading call, the innermost
`custom_object_scope` first, then every class registered with
`@register_keras_serializable`, then the names the caller knows
(`module_objects`, e.g. every built-in initializer). Nothing else is
searched, so a file cannot name arbitrary code.

    >>> from mlkit.saving.object_registration import register_keras_serializable, get_registered_object
    >>> @register_keras_serializable(package="Course")
    ... def halve(x):
    ...     return x / 2
    >>> get_registered_object("Course>halve") is halve
    True

This module imports only the standard library, so every part of mlkit can
use it, from initializers up to model files.
"""

import types

_registry = {}
_scopes = []


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a custom class (or function) loadable by its name."""

    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if isinstance(cls, type) and not hasattr(cls, "get_config"):
            raise ValueError(
                f"Cannot register {cls.__name__}: it has no get_config() method, so it could "
                "not be saved. Subclass a mlkit class or define get_config()."
            )
        _registry[registered] = cls
        cls._registered_name = registered
        return cls

    return decorator


def get_registered_name(obj):
    """'package>Name' for a registered class or function, else its plain name."""
    target = obj if isinstance(obj, (type, types.FunctionType)) else type(obj)
    return target.__dict__.get("_registered_name", target.__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function saved under `name`, or None (see the module docstring for the order)."""
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
