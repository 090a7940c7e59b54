"""Global pooling: one number per channel, summarizing the whole input.

`GlobalAveragePooling2D` turns feature maps (batch, height, width, channels)
into (batch, channels) by averaging every channel over all positions — the
usual bridge from convolutions to a Dense classifier, with no weights and
no dependence on the image size. The Max variants keep the largest value.

    >>> from mlkit import layers, ops
    >>> features = ops.ones((2, 5, 5, 16))
    >>> layers.GlobalAveragePooling2D()(features).shape
    (2, 16)
    >>> layers.GlobalMaxPooling2D(keepdims=True)(features).shape
    (2, 1, 1, 16)

`GlobalAveragePooling1D` also accepts a `mask` (batch, steps) of the steps
to average, for padded sequences.
"""

from mlkit import ops
from mlkit.layers.convolutional.input_shapes import check_rank
from mlkit.layers.layer import Layer
from mlkit.ops.conv import standardize_data_format


class BaseGlobalPooling(Layer):
    """Reduce all `pool_dimensions` spatial axes; `keepdims` keeps them with size 1."""

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.rank = pool_dimensions
        first = 1 if self.data_format == "channels_last" else 2
        self._spatial_axes = tuple(range(first, first + pool_dimensions))
        self.input_spec = None  # checked by check_rank, whose message suggests the fix
        self.built = True  # no weights to create

    def _check(self, inputs):
        if len(inputs.shape) != self.rank + 2:
            check_rank(self, inputs.shape, self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        input_shape = tuple(input_shape)
        if self.keepdims:
            return tuple(1 if axis in self._spatial_axes else n for axis, n in enumerate(input_shape))
        return tuple(n for axis, n in enumerate(input_shape) if axis not in self._spatial_axes)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalAveragePooling1D(BaseGlobalPooling):
    """The mean over all steps (batch, steps, channels) -> (batch, channels)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        self._check(inputs)
        steps_axis = self._spatial_axes[0]
        if mask is None:
            return ops.mean(inputs, axis=steps_axis, keepdims=self.keepdims)
        # Average only the steps the mask keeps: sum(kept) / count(kept).
        channel_axis = 2 if self.data_format == "channels_last" else 1
        weights = ops.cast(ops.expand_dims(mask, channel_axis), inputs.dtype)
        total = ops.sum(inputs * weights, axis=steps_axis, keepdims=self.keepdims)
        return total / ops.sum(weights, axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are gone, and so is their mask


class GlobalAveragePooling2D(BaseGlobalPooling):
    """The mean over all pixels (batch, height, width, channels) -> (batch, channels)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        self._check(inputs)
        return ops.mean(inputs, axis=self._spatial_axes, keepdims=self.keepdims)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """The largest value over all steps (batch, steps, channels) -> (batch, channels)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        self._check(inputs)
        return ops.max(inputs, axis=self._spatial_axes, keepdims=self.keepdims)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """The largest value over all pixels (batch, height, width, channels) -> (batch, channels)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        self._check(inputs)
        return ops.max(inputs, axis=self._spatial_axes, keepdims=self.keepdims)
