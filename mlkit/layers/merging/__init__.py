"""Merging layers: combine a list of tensors into one.

    >>> from mlkit import layers, ops
    >>> layers.Add()([ops.ones((2, 3)), ops.ones((2, 3))]).shape
    (2, 3)

Each class has a lowercase functional form, as in Keras: `layers.add([a, b])`.
"""

from mlkit.layers.merging.add import Add, add
from mlkit.layers.merging.average import Average, average
from mlkit.layers.merging.concatenate import Concatenate, concatenate
from mlkit.layers.merging.dot import Dot, dot
from mlkit.layers.merging.maximum import Maximum, maximum
from mlkit.layers.merging.minimum import Minimum, minimum
from mlkit.layers.merging.multiply import Multiply, multiply
from mlkit.layers.merging.subtract import Subtract, subtract

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
