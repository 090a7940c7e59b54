"""`RepeatVector`: repeat each sample's feature vector `n` times.

`(batch, features)` becomes `(batch, n, features)`: the usual way to feed one
encoding to every step of a sequence decoder.

    >>> from mlkit import layers, ops
    >>> layers.RepeatVector(3)(ops.ones((2, 32))).shape
    (2, 3, 32)
"""

import operator

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer


class RepeatVector(Layer):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        try:
            n = operator.index(n)
        except TypeError:
            raise TypeError(
                f"RepeatVector {self.name!r}: n must be an integer, got {n!r} "
                f"({type(n).__name__})."
            ) from None
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
