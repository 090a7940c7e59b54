"""Reshaping layers: change the shape of each sample, never its values' meaning.

    >>> from mlkit import layers, ops
    >>> layers.Flatten()(ops.ones((2, 3, 4))).shape
    (2, 12)
"""

from mlkit.layers.reshaping.cropping2d import Cropping2D
from mlkit.layers.reshaping.flatten import Flatten
from mlkit.layers.reshaping.permute import Permute
from mlkit.layers.reshaping.repeat_vector import RepeatVector
from mlkit.layers.reshaping.reshape import Reshape
from mlkit.layers.reshaping.up_sampling2d import UpSampling2D
from mlkit.layers.reshaping.zero_padding2d import ZeroPadding2D

__all__ = ["Cropping2D", "Flatten", "Permute", "RepeatVector", "Reshape", "UpSampling2D", "ZeroPadding2D"]
