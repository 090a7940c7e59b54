"""`Permute`: reorder the axes of each sample (the batch axis stays first).

`dims` counts from 1, the first axis after the batch: `Permute((2, 1))`
swaps the two axes of a `(batch, steps, features)` input.

    >>> from mlkit import layers, ops
    >>> layers.Permute((2, 1))(ops.ones((4, 10, 64))).shape
    (4, 64, 10)
"""

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer


class Permute(Layer):
    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"Permute {self.name!r}: dims must be a permutation of 1..{len(dims)} "
                f"(axis 0 is the batch and never moves), got dims={dims}."
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)
        self.built = True

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[axis] for axis in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config
