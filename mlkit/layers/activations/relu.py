"""`ReLU`: the rectified linear unit as a layer, with Keras's three knobs.

    f(x) = max_value                         if x >= max_value
    f(x) = x                                 if threshold <= x < max_value
    f(x) = negative_slope * (x - threshold)  otherwise

With the defaults (no cap, slope 0, threshold 0) it is plain `max(x, 0)`.

    >>> from mlkit import layers, ops
    >>> x = ops.convert_to_tensor([[-10.0, -5.0, 0.0, 5.0, 10.0]])
    >>> layers.ReLU(max_value=6.0, negative_slope=0.5)(x).numpy().tolist()
    [[-5.0, -2.5, 0.0, 5.0, 6.0]]
"""

from mlkit import activations
from mlkit.layers.layer import Layer


def _check_non_negative(layer_name, argument, value, allow_none=False):
    if value is None and allow_none:
        return
    if value is None or value < 0:
        raise ValueError(
            f"ReLU {layer_name!r}: {argument} must be a number >= 0, got {argument}={value!r}."
        )


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        _check_non_negative(self.name, "max_value", max_value, allow_none=True)
        _check_non_negative(self.name, "negative_slope", negative_slope)
        _check_non_negative(self.name, "threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_value": self.max_value,
                "negative_slope": self.negative_slope,
                "threshold": self.threshold,
            }
        )
        return config
