"""Activation layers: element-wise non-linearities (and softmax) as layers.

    >>> from mlkit import layers
    >>> layers.ReLU().name.startswith("re_lu")
    True
"""

from mlkit.layers.activations.activation import Activation
from mlkit.layers.activations.elu import ELU
from mlkit.layers.activations.leaky_relu import LeakyReLU
from mlkit.layers.activations.prelu import PReLU
from mlkit.layers.activations.relu import ReLU
from mlkit.layers.activations.softmax import Softmax

__all__ = ["Activation", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
