"""`LeakyReLU`: like ReLU, but negative inputs keep a small slope.

    f(x) = x                   if x >= 0
    f(x) = negative_slope * x  otherwise

The small slope keeps a gradient flowing for negative inputs, so a unit can
never "die". The layer's default slope is 0.3 (the function
`activations.leaky_relu` defaults to 0.2, as in Keras).

    >>> from mlkit import layers, ops
    >>> x = ops.convert_to_tensor([[-10.0, 0.0, 5.0]])
    >>> layers.LeakyReLU(negative_slope=0.5)(x).numpy().tolist()
    [[-5.0, 0.0, 5.0]]
"""

import warnings

from mlkit import ops
from mlkit.layers.layer import Layer
from mlkit.utils.arguments import check_number


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            # Older tutorials write LeakyReLU(alpha=0.1); the argument was renamed.
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope` instead.")
        super().__init__(**kwargs)
        if negative_slope is None:  # a ValueError, as in Keras
            raise ValueError(f"LeakyReLU {self.name!r}: `negative_slope` must be a number >= 0, got None.")
        self.negative_slope = check_number(
            f"LeakyReLU {self.name!r}", "negative_slope", negative_slope, at_least=0
        )
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
