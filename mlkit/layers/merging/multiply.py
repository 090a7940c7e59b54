"""`Multiply`: the element-wise product of a list of tensors (e.g. gating).

    >>> from mlkit import layers, ops
    >>> layers.Multiply()([ops.ones((1, 2)) * 3, ops.ones((1, 2)) * 2]).numpy().tolist()
    [[6.0, 6.0]]
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Multiply(Merge):
    def _merge_function(self, inputs):
        product = inputs[0]
        for x in inputs[1:]:
            product = ops.multiply(product, x)
        return product


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: `multiply([x1, x2])`."""
    return Multiply(**kwargs)(inputs)
