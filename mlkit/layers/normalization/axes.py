"""Which axes a normalization layer works on, checked with clear errors.

A normalization layer takes `axis` as an int (or a list of ints) counted
like NumPy axes, so `-1` is the last axis. Two questions come up in every
such layer, answered once here:

- is the `axis` argument well formed? (`axis_argument`, in `__init__`)
- which input axes does it name, for inputs of this shape? (`resolve_axes`,
  in `build` and `compute_output_shape`)

    >>> resolve_axes("layer", [-1, 1], (None, 4, 8, 3))
    (1, 3)
"""

import numpy as np


def axis_argument(layer_name, axis, allow_list=True):
    """`axis` as an int or a list of ints; a TypeError names the layer otherwise."""
    if isinstance(axis, (list, tuple)) and allow_list:
        if all(_is_int(a) for a in axis) and axis:
            return [int(a) for a in axis]
    elif _is_int(axis):
        return int(axis)
    expected = "an int or a non-empty list of ints" if allow_list else "an int"
    raise TypeError(
        f"{layer_name}: `axis` must be {expected}, got {axis!r}. Use axis=-1 for the last "
        "(channels_last) axis, or axis=1 for channels_first inputs."
    )


def resolve_axes(layer_name, axis, input_shape):
    """The axes `axis` names in inputs of `input_shape`: sorted, non-negative ints.

    Raises ValueError for an axis outside the input's rank, an axis named
    twice, or an axis whose size is unknown (None): the layer's weights have
    one entry per position along these axes, so their sizes must be known.
    """
    rank = len(input_shape)
    axes = axis if isinstance(axis, list) else [axis]
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(
                f"{layer_name}: axis={axis!r} is out of range for inputs of rank {rank} "
                f"(input shape {tuple(input_shape)}). Pick axes between {-rank} and {rank - 1}: "
                "-1 (the default) is the last, channels_last axis; 1 is the channels axis of "
                "channels_first images."
            )
    resolved = sorted(a % rank for a in axes)
    if len(set(resolved)) != len(resolved):
        raise ValueError(
            f"{layer_name}: axis={axis!r} names the same input axis twice (for inputs of rank "
            f"{rank}, {resolved}). List each axis once."
        )
    unknown = [a for a in resolved if input_shape[a] is None]
    if unknown:
        raise ValueError(
            f"{layer_name}: the size of axis {unknown[0]} must be known to create the weights, "
            f"but the input shape is {tuple(input_shape)}. Give that axis a fixed size, e.g. "
            "in `mlkit.Input(shape=...)`."
        )
    return tuple(resolved)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
