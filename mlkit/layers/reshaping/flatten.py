"""`Flatten`: squash every axis but the batch axis into one.

A batch of images `(batch, 28, 28, 1)` becomes `(batch, 784)`, ready for a
`Dense` layer. With `data_format="channels_first"` the channels axis is moved
last before flattening, so the order of the values matches the channels-last
layout (and a model gives the same result in either layout).

    >>> from mlkit import layers, ops
    >>> layers.Flatten()(ops.ones((2, 3, 4))).shape
    (2, 12)
    >>> layers.Flatten().compute_output_shape((None, 3, 4))
    (None, 12)
"""

import math

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.reshaping.data_format import standardize_data_format


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, f"Flatten {self.name!r}")
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs):
        rank = len(inputs.shape)
        if self.data_format == "channels_first" and rank > 2:
            inputs = ops.transpose(inputs, (0, *range(2, rank), 1))
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        features = tuple(input_shape[1:])
        if any(size is None for size in features):
            return (input_shape[0], None)
        return (input_shape[0], math.prod(features))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
