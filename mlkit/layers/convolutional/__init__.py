"""Convolution layers: kernels slid over sequences (1D) and images (2D).

    >>> from mlkit import layers
    >>> layers.Convolution2D is layers.Conv2D   # the Keras aliases exist too
    True
"""

from mlkit.layers.convolutional.conv import Conv1D, Conv2D
from mlkit.layers.convolutional.conv_depthwise import DepthwiseConv1D, DepthwiseConv2D
from mlkit.layers.convolutional.conv_separable import SeparableConv1D, SeparableConv2D
from mlkit.layers.convolutional.conv_transpose import Conv1DTranspose, Conv2DTranspose

# Longer names Keras also exports.
Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

__all__ = [
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]
