"""`Masking`: mark the time steps that are padding, so later layers skip them.

A time step whose features all equal `mask_value` (0.0 by default) is
padding. The layer zeroes those steps and attaches a mask (batch,
timesteps), True for the real steps, that travels to every later layer
whose `call` takes `mask` (recurrent layers, pooling, attention) and to
the loss.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    >>> y = layers.Masking()(x)
    >>> y._keras_mask.numpy().tolist()
    [[True, False, True]]
"""

from mlkit import ops
from mlkit.layers.layer import Layer


class Masking(Layer):
    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, previous_mask=None):
        """True for a step with at least one feature different from `mask_value`."""
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = self.compute_mask(inputs)
        return inputs * ops.cast(ops.expand_dims(keep, -1), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
