"""`SeparableConv1D` and `SeparableConv2D`: a depthwise then a 1x1 convolution.

A Conv2D looks at space and channels at once. A separable convolution splits
the job in two cheaper steps: a depthwise convolution filters every channel
on its own (space only), then a pointwise 1x1 convolution mixes the channels
(channels only). For a 3x3 kernel from 32 to 64 channels that is
3*3*32 + 32*64 = 2336 weights instead of 3*3*32*64 = 18432.

    >>> from mlkit import layers, ops
    >>> separable = layers.SeparableConv2D(64, 3, padding="same")
    >>> separable(ops.ones((1, 8, 8, 32))).shape
    (1, 8, 8, 64)
    >>> [(w.name, w.shape) for w in separable.weights]
    [('depthwise_kernel', (3, 3, 32, 1)), ('pointwise_kernel', (1, 1, 32, 64)), ('bias', (64,))]
"""

from mlkit.layers.convolutional.convolution_base import ConvolutionBase, check_positive_int
from mlkit.ops.conv import separable_conv


class BaseSeparableConv(ConvolutionBase):
    """Abstract N-d separable convolution: a depthwise kernel, then a pointwise (1x1) one."""

    kernel_families = ("depthwise", "pointwise")
    settings = (
        "depth_multiplier", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
    )

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        check_positive_int(self, "depth_multiplier", depth_multiplier)
        check_positive_int(self, "filters", filters)
        self.depth_multiplier = depth_multiplier
        self.filters = filters
        self.set_window_settings(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.set_weight_settings("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self.set_weight_settings("pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint)
        self.set_weight_settings("bias", bias_initializer, bias_regularizer, bias_constraint)

    def build_kernels(self, channels):
        middle = channels * self.depth_multiplier  # the channels between the two steps
        self.depthwise_kernel = self.add_family_weight(
            "depthwise_kernel", "depthwise", self.kernel_size + (channels, self.depth_multiplier)
        )
        self.pointwise_kernel = self.add_family_weight(
            "pointwise_kernel", "pointwise", (1,) * self.rank + (middle, self.filters)
        )

    def convolve(self, inputs):
        return separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )


class SeparableConv1D(BaseSeparableConv):
    """1-d separable convolution over sequences (batch, steps, channels)."""

    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """2-d separable convolution over images (batch, height, width, channels)."""

    rank = 2
