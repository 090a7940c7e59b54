"""Checks that convolution and pooling layers run on their inputs' shapes.

Image layers are easy to call with one axis too few: a batch of grayscale
digits of shape (batch, 8, 8) has no channel axis, and a single colour image
(8, 8, 3) has no batch axis. Both are caught here, before any arithmetic,
with a message that names the layer and shows the fix.

    >>> from mlkit import layers, ops
    >>> conv = layers.Conv2D(4, 3, name="digits_conv")
    >>> try:
    ...     conv(ops.zeros((16, 8, 8)))
    ... except ValueError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    Conv2D 'digits_conv' expects inputs of rank 4, (batch, height, width, channels),
    but received shape (16, 8, 8). For a batch of single-channel images, add a
    channel axis: x[..., None]. For a single example, add a batch axis: x[None, ...].
"""

_AXIS_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_THINGS = {1: "sequences", 2: "images", 3: "volumes"}


def channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def layout(rank, data_format):
    """The axes a layer expects, in words: '(batch, height, width, channels)'."""
    spatial = _AXIS_NAMES.get(rank, tuple(f"dim{i + 1}" for i in range(rank)))
    if data_format == "channels_last":
        axes = ("batch",) + spatial + ("channels",)
    else:
        axes = ("batch", "channels") + spatial
    return "(" + ", ".join(axes) + ")"


def check_rank(layer, shape, rank, data_format):
    """Raise ValueError unless `shape` has a batch axis, `rank` spatial axes and a channel axis."""
    if len(shape) == rank + 2:
        return
    things = _THINGS.get(rank, "inputs")
    message = (
        f"{type(layer).__name__} {layer.name!r} expects inputs of rank {rank + 2}, "
        f"{layout(rank, data_format)}, but received shape {tuple(shape)}."
    )
    if len(shape) == rank + 1:
        channel_fix = "x[..., None]" if data_format == "channels_last" else "x[:, None]"
        message += (
            f" For a batch of single-channel {things}, add a channel axis: {channel_fix}. "
            f"For a single example, add a batch axis: x[None, ...]."
        )
    raise ValueError(message)


def check_channels(layer, shape, expected, data_format):
    """Raise ValueError if the channel axis of `shape` is not `expected` (known at build)."""
    got = shape[channel_axis(data_format)]
    if got is not None and got != expected:
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r} was built for inputs with {expected} channels "
            f"(data_format={data_format!r}, axis {channel_axis(data_format)}), but received shape "
            f"{tuple(shape)} with {got}. Create a new layer for the new inputs, or check that "
            f"data_format matches where the channels are."
        )


def named_error(layer, error):
    """`error` (from an op, e.g. inputs smaller than the window) prefixed with the layer's name."""
    return ValueError(f"{type(layer).__name__} {layer.name!r}: {error}")
