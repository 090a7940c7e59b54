"""`Average`: the element-wise mean of a list of tensors (e.g. an ensemble).

    >>> from mlkit import layers, ops
    >>> layers.Average()([ops.ones((1, 2)), ops.ones((1, 2)) * 3]).numpy().tolist()
    [[2.0, 2.0]]
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Average(Merge):
    def _merge_function(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = ops.add(total, x)
        return ops.divide(total, len(inputs))


def average(inputs, **kwargs):
    """Functional form of `Average`: `average([x1, x2])`."""
    return Average(**kwargs)(inputs)
