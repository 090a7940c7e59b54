"""`Subtract`: `inputs[0] - inputs[1]`, element-wise, for exactly two tensors.

    >>> from mlkit import layers, ops
    >>> layers.Subtract()([ops.ones((1, 2)) * 5, ops.ones((1, 2))]).numpy().tolist()
    [[4.0, 4.0]]
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Subtract(Merge):
    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape, exactly=2)
        return super().compute_output_shape(input_shape)

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            self._check_input_list([tuple(x.shape) for x in inputs], exactly=2)
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `subtract([x1, x2])`."""
    return Subtract(**kwargs)(inputs)
