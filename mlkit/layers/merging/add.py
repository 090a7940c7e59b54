"""`Add`: the element-wise sum of a list of tensors (e.g. a residual connection).

    >>> from mlkit import layers, ops
    >>> layers.Add()([ops.ones((2, 3)), ops.ones((2, 3))]).numpy().tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]

`layers.add([x1, x2])` is the same as `layers.Add()([x1, x2])`.
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Add(Merge):
    def _merge_function(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = ops.add(total, x)
        return total


def add(inputs, **kwargs):
    """Functional form of `Add`: `add([x1, x2])`."""
    return Add(**kwargs)(inputs)
