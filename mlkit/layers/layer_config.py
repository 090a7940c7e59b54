"""Configs for layers that do not write `get_config()`, and clear errors when
`from_config()` cannot recreate a layer.

Keras records the arguments a layer was created with; a layer that does not
override `get_config()` is saved with those (when they are plain values). A
layer that overrides it but forgets an argument fails in `from_config()`,
and the error names the missing argument and the line to add.
"""

import inspect

# The only argument values Keras (and mlkit) record automatically.
_PLAIN_TYPES = (str, int, float, bool, type(None))


def is_plain(value):
    if isinstance(value, (list, tuple)):
        return all(is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(is_plain(item) for item in value.values())
    return isinstance(value, _PLAIN_TYPES)


def auto_config(layer):
    """The constructor arguments recorded by __new__, with defaults filled in.

    For a layer whose class does not override get_config(). Raises
    NotImplementedError, as Keras does, when they cannot be saved as they
    are (an object, a function, an array, or *args).
    """
    cls = type(layer)
    args, kwargs = layer._auto_config
    signature = inspect.signature(cls.__init__)
    parameters = list(signature.parameters.values())[1:]
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        bound = None
    positional_only = [p.name for p in parameters if p.kind is p.POSITIONAL_ONLY]
    arguments = {}
    if bound is not None:
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.pop(next(iter(signature.parameters)))
        for parameter in parameters:
            if parameter.kind is parameter.VAR_KEYWORD:
                arguments.update(arguments.pop(parameter.name, {}))
            elif parameter.kind is parameter.VAR_POSITIONAL and arguments.pop(parameter.name, ()):
                positional_only.append("*" + parameter.name)
        arguments.pop("name", None)
    unsaveable = {key: value for key, value in arguments.items() if not is_plain(value)}
    if bound is None or positional_only or unsaveable:
        if positional_only:
            why = f"its __init__() takes positional-only or variadic arguments ({', '.join(positional_only)})"
        elif bound is None:
            why = "its constructor arguments could not be matched to __init__()"
        else:
            why = "it was created with argument values that are not plain values: " + ", ".join(
                f"{key}={type(value).__name__}" for key, value in unsaveable.items()
            )
        raise NotImplementedError(
            f"Layer {cls.__name__} ({layer.name!r}) cannot be configured automatically: {why}. "
            f"Override get_config() in {cls.__name__} to return plain values, e.g.\n"
            "    def get_config(self):\n"
            "        config = super().get_config()\n"
            "        config.update({\"units\": self.units, \"activation\": activations.serialize(self.activation)})\n"
            "        return config"
        )
    return arguments


def config_error(cls, config, error):
    """A TypeError saying why `cls(**config)` failed and how to fix get_config()/__init__."""
    parameters = inspect.signature(cls.__init__).parameters
    accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    required = [
        name for name, p in parameters.items()
        if name != "self" and p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    missing = [name for name in required if name not in config]
    unexpected = [key for key in config if key not in parameters]
    if missing:
        hint = (
            f"__init__() requires {', '.join(repr(m) for m in missing)}, but the config has no such "
            f"key. {cls.__name__}.get_config() must return every constructor argument: start from "
            "`config = super().get_config()` and add "
            + ", ".join(f"{m!r}: self.{m}" for m in missing) + " to it."
        )
    elif unexpected and not accepts_kwargs:
        hint = (
            f"{cls.__name__}.__init__() does not accept {', '.join(repr(k) for k in unexpected)}. Every "
            "layer config holds 'name', 'trainable' and 'dtype': give __init__ a `**kwargs` "
            "parameter and pass it on with `super().__init__(**kwargs)` (or override from_config)."
        )
    else:
        hint = (
            f"Make {cls.__name__}.get_config() return exactly the arguments __init__() accepts, "
            "or override from_config()."
        )
    return TypeError(
        f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
        f"Exception encountered: {error}\n\n{hint}"
    )
