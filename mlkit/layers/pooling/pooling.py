"""`MaxPooling1D/2D` and `AveragePooling1D/2D`: shrink by summarizing windows.

A pooling layer slides a `pool_size` window over each channel and keeps one
number per window: the largest value (max) or the mean (average). With the
usual 2x2 window moved by 2, an image halves in height and width. There are
no weights; the arithmetic is in `mlkit.ops.pooling`.

    >>> from mlkit import layers, ops
    >>> x = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
    >>> layers.MaxPooling2D()(x).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    >>> layers.AveragePooling2D(pool_size=2, strides=1)(x).shape
    (1, 3, 3, 1)

`strides` defaults to `pool_size` (windows side by side). 'valid' padding
drops windows that would stick out of the input; 'same' keeps
ceil(size / strides) windows, and the part outside the input is ignored
(max) or not counted (average).
"""

from mlkit.layers.convolutional.input_shapes import check_rank, named_error
from mlkit.layers.layer import Layer
from mlkit.ops.conv import output_length, standardize_data_format, standardize_padding, standardize_tuple
from mlkit.ops.pooling import average_pool, max_pool


class BasePooling(Layer):
    """Pooling over `pool_dimensions` spatial axes; `pool_mode` is 'max' or 'average'."""

    def __init__(
        self,
        pool_size,
        strides,
        pool_dimensions,
        pool_mode="max",
        padding="valid",
        data_format=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.pool_size = standardize_tuple(pool_size, pool_dimensions, "pool_size")
        if strides is None:
            strides = self.pool_size  # windows side by side
        self.strides = standardize_tuple(strides, pool_dimensions, "strides")
        self.pool_mode = pool_mode
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.rank = pool_dimensions
        self._pool = {"max": max_pool, "average": average_pool}[pool_mode]
        self.input_spec = None  # checked by check_rank, whose message suggests the fix
        self.built = True  # no weights to create

    def call(self, inputs):
        if len(inputs.shape) != self.rank + 2:
            check_rank(self, inputs.shape, self.rank, self.data_format)
        try:
            return self._pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)
        except ValueError as error:  # e.g. inputs smaller than the window
            raise named_error(self, error) from None

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(
            output_length(n, p, s, 1, self.padding) for n, p, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: inputs of shape {tuple(input_shape)} are "
                f"smaller than pool_size={self.pool_size}, so padding='valid' leaves no output. "
                "Use padding='same' or a smaller pool_size."
            )
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return config


class MaxPooling1D(BasePooling):
    """The largest value of each window of steps (batch, steps, channels)."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, 1, "max", padding, data_format, name=name, **kwargs)


class MaxPooling2D(BasePooling):
    """The largest value of each window of pixels (batch, height, width, channels)."""

    def __init__(
        self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(pool_size, strides, 2, "max", padding, data_format, name=name, **kwargs)


class AveragePooling1D(BasePooling):
    """The mean of each window of steps (batch, steps, channels)."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, 1, "average", padding, data_format, name=name, **kwargs)


class AveragePooling2D(BasePooling):
    """The mean of each window of pixels (batch, height, width, channels)."""

    def __init__(
        self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(pool_size, strides, 2, "average", padding, data_format, name=name, **kwargs)
