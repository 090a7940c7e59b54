"""`Softmax`: turn scores into probabilities along an axis.

    softmax(x)_i = exp(x_i) / sum_j exp(x_j)

The outputs are positive and sum to 1 along `axis` (an int, or a list of
ints to normalize over several axes at once).

An optional `mask` (booleans or 0/1, same shape as the input) leaves out
the positions where it is False: they get probability 0 and the others
share all of it, which is how attention ignores padding.

    >>> import numpy as np
    >>> from mlkit import layers, ops
    >>> softmax = layers.Softmax()
    >>> scores = ops.convert_to_tensor([[1.0, 2.0, 1.0]])
    >>> print(np.round(softmax(scores).numpy(), 4))
    [[0.2119 0.5761 0.2119]]
    >>> print(np.round(softmax(scores, mask=ops.convert_to_tensor([[True, True, False]])).numpy(), 4))
    [[0.2689 0.7311 0.    ]]
"""

from mlkit import ops
from mlkit.layers.layer import Layer


def _large_negative_number(dtype):
    """A score so low that exp() of it is 0, yet finite in `dtype`."""
    return -3e4 if dtype == "float16" else -1e9


class Softmax(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if mask.dtype != "bool":
                mask = ops.greater(mask, 0.5)  # a 0/1 mask of numbers
            inputs = ops.where(mask, inputs, _large_negative_number(inputs.dtype))
        if isinstance(self.axis, list) and len(self.axis) > 1:
            # exp(x - logsumexp(x)) is the softmax over several axes at once.
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        if mask is not None:
            # A fully masked row would otherwise come out uniform instead of 0.
            outputs = outputs * ops.cast(mask, outputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
