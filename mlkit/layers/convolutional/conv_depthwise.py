"""`DepthwiseConv1D` and `DepthwiseConv2D`: one small kernel per input channel.

A depthwise convolution never mixes channels: every input channel is
convolved with its own `depth_multiplier` filters, and the results are laid
side by side (output channel c * depth_multiplier + m comes from input
channel c and filter m). It needs kernel_size * channels * depth_multiplier
weights instead of a Conv2D's kernel_size * channels * filters.

    >>> from mlkit import layers, ops
    >>> depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    >>> depthwise(ops.ones((1, 8, 8, 3))).shape
    (1, 8, 8, 6)
    >>> [(w.path, w.shape) for w in depthwise.weights]
    [('depthwise_conv2d/kernel', (3, 3, 3, 2)), ('depthwise_conv2d/bias', (6,))]

Underneath it is a grouped convolution with one group per channel
(`mlkit.ops.conv.depthwise_conv`).
"""

from mlkit.layers.convolutional.convolution_base import ConvolutionBase, check_positive_int
from mlkit.ops.conv import depthwise_conv


class BaseDepthwiseConv(ConvolutionBase):
    """Abstract N-d depthwise convolution: a kernel of shape (*kernel_size, channels, depth_multiplier)."""

    kernel_families = ("depthwise",)
    settings = ("depth_multiplier", "kernel_size", "strides", "padding", "data_format", "dilation_rate")

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        check_positive_int(self, "depth_multiplier", depth_multiplier)
        self.depth_multiplier = depth_multiplier
        self.set_window_settings(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.set_weight_settings("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self.set_weight_settings("bias", bias_initializer, bias_regularizer, bias_constraint)

    def output_channels(self, channels):
        return None if channels is None else channels * self.depth_multiplier

    def build_kernels(self, channels):
        # Named "kernel" as in Keras, though its settings are the depthwise_* ones.
        shape = self.kernel_size + (channels, self.depth_multiplier)
        self.kernel = self.add_family_weight("kernel", "depthwise", shape)

    def convolve(self, inputs):
        return depthwise_conv(inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-d depthwise convolution over sequences (batch, steps, channels)."""

    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-d depthwise convolution over images (batch, height, width, channels)."""

    rank = 2
