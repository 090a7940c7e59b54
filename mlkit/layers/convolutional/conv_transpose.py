"""`Conv1DTranspose` and `Conv2DTranspose`: learned upsampling.

Where a convolution with strides=2 maps a 8x8 image to 4x4, a transposed
convolution with the same settings maps 4x4 back to 8x8: every input value
stamps a weighted copy of the kernel into the output, and overlapping stamps
add up. (It is the gradient of a convolution with respect to its input,
hence the name; it is not an inverse.)

    >>> from mlkit import layers, ops
    >>> up = layers.Conv2DTranspose(3, kernel_size=3, strides=2, padding="same")
    >>> up(ops.ones((1, 4, 4, 8))).shape
    (1, 8, 8, 3)
    >>> up.kernel.shape                     # (*kernel_size, filters, input channels)
    (3, 3, 3, 8)

Output size along an axis of length n: n * strides for 'same', and
(n - 1) * strides + max(kernel reach, strides) for 'valid'.
"""

from mlkit.layers.convolutional.convolution_base import ConvolutionBase, check_positive_int
from mlkit.ops.conv import conv_transpose, transpose_output_length


class BaseConvTranspose(ConvolutionBase):
    """Abstract N-d transposed convolution: a kernel of shape (*kernel_size, filters, channels)."""

    settings = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate")
    output_length = staticmethod(transpose_output_length)

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        check_positive_int(self, "filters", filters)
        self.filters = filters
        self.set_window_settings(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.set_weight_settings("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self.set_weight_settings("bias", bias_initializer, bias_regularizer, bias_constraint)

    def build_kernels(self, channels):
        # The kernel maps back from `filters` to `channels`: the axes of a Conv kernel, swapped.
        self.kernel = self.add_family_weight("kernel", "kernel", self.kernel_size + (self.filters, channels))

    def convolve(self, inputs):
        return conv_transpose(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def check_output_size(self, input_shape, spatial_output):
        """Nothing to check: a transposed convolution never shrinks its input."""


class Conv1DTranspose(BaseConvTranspose):
    """1-d transposed convolution over sequences (batch, steps, channels)."""

    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2-d transposed convolution over images (batch, height, width, channels)."""

    rank = 2
