"""`Maximum`: the element-wise maximum of a list of tensors.

    >>> from mlkit import layers, ops
    >>> a, b = ops.convert_to_tensor([[1.0, 5.0]]), ops.convert_to_tensor([[3.0, 2.0]])
    >>> layers.Maximum()([a, b]).numpy().tolist()
    [[3.0, 5.0]]
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Maximum(Merge):
    def _merge_function(self, inputs):
        largest = inputs[0]
        for x in inputs[1:]:
            largest = ops.maximum(largest, x)
        return largest


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: `maximum([x1, x2])`."""
    return Maximum(**kwargs)(inputs)
