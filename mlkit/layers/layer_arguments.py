"""The keyword arguments every layer accepts, checked with errors that say the fix.

`Layer.__init__` takes `name`, `dtype`, `trainable`, `autocast` and
`activity_regularizer`, plus `input_shape=` / `input_dim=` so that the first
layer of a `Sequential` can say what it will receive, as in Keras 3:

    >>> from mlkit import layers
    >>> layers.Dense(4, input_shape=(3,))._input_shape_arg
    (None, 3)
    >>> layers.Dense(4, units_out=3)
    Traceback (most recent call last):
    ...
    ValueError: Unrecognized keyword arguments passed to Dense: {'units_out': 3}. Check the spelling; the arguments every layer accepts are name, dtype, trainable, autocast and activity_regularizer.

A misspelt argument reaches `Layer.__init__` through a subclass's `**kwargs`
and is refused there by `check_base_arguments`, before it could be ignored.
"""

# Keyword arguments Layer.__init__ accepts besides its own, for Sequential's
# first layer (`Dense(4, input_shape=(3,))`) as in Keras 3 (which dropped
# Keras 2's `batch_input_shape` and `batch_size`).
SHAPE_KWARGS = ("input_shape", "input_dim")


def check_base_arguments(layer, name, trainable, kwargs):
    """Refuse unknown keyword arguments, a bad `name` and a non-boolean `trainable`."""
    unknown = [key for key in kwargs if key not in SHAPE_KWARGS]
    if unknown:
        raise ValueError(
            f"Unrecognized keyword arguments passed to {type(layer).__name__}: "
            f"{ {key: kwargs[key] for key in unknown} }. Check the spelling; the arguments "
            "every layer accepts are name, dtype, trainable, autocast and activity_regularizer"
            f"{_legacy_hint(unknown)}."
        )
    if name is not None and (not isinstance(name, str) or "/" in name):
        raise ValueError(
            f"{type(layer).__name__}: `name` must be a string without '/', got name={name!r}."
        )
    if not isinstance(trainable, bool):
        raise ValueError(
            f"{type(layer).__name__}: expected `trainable` to be a boolean (True or False), "
            f"got trainable={trainable!r} (of type {type(trainable).__name__})."
        )


def input_shape_from_kwargs(kwargs, layer):
    """The full input shape (batch axis None) given by `input_shape=` or `input_dim=`."""
    if kwargs.get("input_dim") is not None:
        return (None, kwargs["input_dim"])
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        if not isinstance(shape, (tuple, list)):
            raise TypeError(
                f"Layer {layer.name!r} ({type(layer).__name__}): `input_shape` must be a tuple of "
                f"sizes without the batch axis, got input_shape={shape!r}. For samples of "
                f"{shape!r} features write input_shape=({shape!r},)."
            )
        return (None,) + tuple(shape)
    return None


def _legacy_hint(unknown):
    if "batch_input_shape" in unknown or "batch_size" in unknown:
        return (
            " (Keras 2's `batch_input_shape`/`batch_size` are gone in Keras 3: start the model "
            "with `mlkit.Input(shape=..., batch_size=...)` or pass `input_shape=` without the batch axis)"
        )
    return ""
