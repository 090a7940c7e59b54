"""`Minimum`: the element-wise minimum of a list of tensors.

    >>> from mlkit import layers, ops
    >>> a, b = ops.convert_to_tensor([[1.0, 5.0]]), ops.convert_to_tensor([[3.0, 2.0]])
    >>> layers.Minimum()([a, b]).numpy().tolist()
    [[1.0, 2.0]]
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Minimum(Merge):
    def _merge_function(self, inputs):
        smallest = inputs[0]
        for x in inputs[1:]:
            smallest = ops.minimum(smallest, x)
        return smallest


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: `minimum([x1, x2])`."""
    return Minimum(**kwargs)(inputs)
