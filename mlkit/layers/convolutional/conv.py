"""`Conv1D` and `Conv2D`: a kernel slid over sequences or images.

A convolution layer holds a `kernel` of shape (*kernel_size, channels //
groups, filters) and a `bias` of shape (filters,). At every position of the
input it multiplies the window under the kernel by the kernel and sums:
each of the `filters` outputs is one learned pattern detector, applied
everywhere. The arithmetic lives in `mlkit.ops.conv.conv`; this class
handles the arguments, the weights, shapes and configs.

    >>> from mlkit import layers, ops
    >>> conv = layers.Conv2D(8, kernel_size=3, padding="same", activation="relu")
    >>> conv(ops.ones((2, 28, 28, 1))).shape
    (2, 28, 28, 8)
    >>> [(w.path, w.shape) for w in conv.weights]
    [('conv2d/kernel', (3, 3, 1, 8)), ('conv2d/bias', (8,))]

The settings, as in Keras:

- `strides`: how far the window moves between outputs (2 halves the size);
- `padding`: 'valid' (only windows fully inside the input) or 'same' (pad
  with zeros so that the output has ceil(size / stride) positions);
- `dilation_rate`: spread the kernel's taps apart to see wider;
- `groups`: split the channels into groups convolved separately;
- `data_format`: 'channels_last' (batch, ..., channels), the default, or
  'channels_first' (batch, channels, ...).

Conv1D also accepts padding='causal': all the zeros go before the sequence,
so the output at step t sees only steps <= t (for models that predict the
next step). `BaseConv` adds the filters and groups to what every convolution
shares (`ConvolutionBase`); Conv1D and Conv2D only fix the rank.
"""

from mlkit.layers.convolutional.convolution_base import ConvolutionBase, check_positive_int
from mlkit.ops.conv import conv


class BaseConv(ConvolutionBase):
    """Abstract N-d convolution: `filters` kernels of shape (*kernel_size, channels // groups)."""

    settings = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups")
    too_small_detail = ": the output would have spatial shape {spatial_output}"

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
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
        check_positive_int(self, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the number of filters must be divisible by "
                f"the number of groups. Received filters={filters}, groups={groups}."
            )
        self.filters = filters
        self.groups = groups
        self.set_window_settings(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            allow_causal=self.rank == 1,  # 'causal' only makes sense along time
        )
        self.set_weight_settings("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self.set_weight_settings("bias", bias_initializer, bias_regularizer, bias_constraint)

    def check_input_channels(self, channels, input_shape):
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the number of input channels must be "
                f"divisible by the number of groups. Received groups={self.groups}, but the input "
                f"has {channels} channels (full input shape {tuple(input_shape)})."
            )

    def build_kernels(self, channels):
        self.kernel = self.add_family_weight(
            "kernel", "kernel", self.kernel_size + (channels // self.groups, self.filters)
        )

    def convolution_op(self, inputs, kernel):
        return conv(inputs, kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def convolve(self, inputs):
        return self.convolution_op(inputs, self.kernel)


class Conv1D(BaseConv):
    """1-d convolution over sequences (batch, steps, channels)."""

    rank = 1


class Conv2D(BaseConv):
    """2-d convolution over images (batch, height, width, channels)."""

    rank = 2
