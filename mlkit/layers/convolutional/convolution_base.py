"""`ConvolutionBase`: what every convolution layer shares, whatever its kernels.

Conv, Conv*Transpose, DepthwiseConv and SeparableConv all slide a window of
`kernel_size` over the spatial axes of their inputs with the same settings
(`strides`, `padding`, `data_format`, `dilation_rate`), add a bias, apply an
activation (fused with the bias into one graph node where it can), and
check their inputs the same way. This class does all of that once; a family (`BaseConv`, `BaseConvTranspose`, `BaseDepthwiseConv`,
`BaseSeparableConv`) states only what differs:

- `kernel_families`: the weights besides the bias, each with its own
  initializer, regularizer and constraint ("kernel", or "depthwise" and
  "pointwise");
- `build_kernels(channels)`: create those weights;
- `convolve(inputs)`: the op of `mlkit.ops.conv` that does the arithmetic;
- `output_length`: the size of one output axis (a transposed convolution
  grows its input, the others shrink it);
- `output_channels(channels)`: the size of the output's channel axis;
- `settings`: its plain config keys, in Keras's order (activation, use_bias
  and the weight settings follow them in `get_config`).

A family's `__init__` lists its Keras arguments and hands them to
`set_window_settings` and `set_weight_settings`. A concrete layer then only
fixes `rank`, the number of spatial axes:

    >>> from mlkit import layers
    >>> layers.Conv1D.rank, layers.Conv2D.rank
    (1, 2)
    >>> issubclass(layers.SeparableConv2D, ConvolutionBase)
    True
"""

from mlkit import activations, ops
from mlkit.layers import weight_settings
from mlkit.layers.convolutional.input_shapes import channel_axis, check_channels, check_rank, named_error
from mlkit.layers.core.dense import fused_activation_name
from mlkit.layers.layer import Layer
from mlkit.ops import fused
from mlkit.ops.conv import output_length, standardize_data_format, standardize_padding, standardize_tuple


def check_positive_int(layer, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: `{name}` must be a positive integer, "
            f"received {name}={value!r}."
        )


def check_strides_or_dilation(layer):
    """Keras allows strides > 1 or dilation_rate > 1, not both at once."""
    if max(layer.strides) > 1 and max(layer.dilation_rate) > 1:
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: `strides > 1` cannot be combined with "
            f"`dilation_rate > 1`. Received strides={layer.strides} and "
            f"dilation_rate={layer.dilation_rate}; set one of them to 1."
        )


class ConvolutionBase(Layer):
    """Abstract convolution over `rank` spatial axes; see the module docstring."""

    rank = None  # the number of spatial axes: 1 for sequences, 2 for images
    kernel_families = ("kernel",)
    settings = ()
    output_length = staticmethod(output_length)
    # The end of the message when valid padding leaves no output (the families word it differently).
    too_small_detail = ""

    def set_window_settings(
        self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, allow_causal=False
    ):
        """Check and keep the settings of the sliding window, the activation and use_bias."""
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=allow_causal)
        self.data_format = standardize_data_format(data_format)
        check_strides_or_dilation(self)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        # The input is checked by `check_rank`/`check_channels`, whose messages
        # say how to fix a missing channel or batch axis.
        self.input_spec = None

    # self.set_weight_settings("kernel", initializer, regularizer, constraint): the shared function of
    # mlkit.layers.weight_settings, as a method; it keeps self.kernel_initializer and the two others.
    set_weight_settings = weight_settings.set_weight_settings

    def add_family_weight(self, name, family, shape):
        """A weight created with the initializer, regularizer and constraint of `family`."""
        return self.add_weight(
            name=name,
            shape=shape,
            initializer=getattr(self, f"{family}_initializer"),
            regularizer=getattr(self, f"{family}_regularizer"),
            constraint=getattr(self, f"{family}_constraint"),
        )

    # -- what the families fill in ----------------------------------------------
    def build_kernels(self, channels):
        raise NotImplementedError

    def convolve(self, inputs):
        raise NotImplementedError

    def check_input_channels(self, channels, input_shape):
        """Raise if the layer cannot take `channels` input channels (a grouped conv can't always)."""

    def output_channels(self, channels):
        return self.filters

    # -- weights ----------------------------------------------------------------
    def build(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = input_shape[channel_axis(self.data_format)]
        if channels is None:
            kernels = "kernels" if len(self.kernel_families) > 1 else "kernel"
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the channel axis of the inputs must be "
                f"known to create the {kernels}, received input shape {tuple(input_shape)}."
            )
        self.check_input_channels(channels, input_shape)
        self.compute_output_shape(input_shape)  # fails early if the input is too small
        self.build_kernels(channels)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_family_weight("bias", "bias", (self.output_channels(channels),))
        self._channels = channels

    # -- the computation --------------------------------------------------------
    def call(self, inputs):
        shape = inputs.shape
        if len(shape) != self.rank + 2:
            check_rank(self, shape, self.rank, self.data_format)
        check_channels(self, shape, self._channels, self.data_format)
        try:
            outputs = self.convolve(inputs)
        except ValueError as error:  # e.g. inputs smaller than the kernel
            raise named_error(self, error) from None
        return self.add_bias_and_activate(outputs)

    def add_bias_and_activate(self, outputs):
        fused_name = fused_activation_name(self.activation) if self.data_format == "channels_last" else None
        if fused_name == "linear" and self.bias is None:
            return outputs
        if fused_name is not None:
            # Bias and activation as one graph node (see mlkit/ops/fused.py).
            return fused.bias_activation(outputs, self.bias, fused_name)
        if self.bias is not None:
            outputs = ops.add(outputs, self._broadcastable(self.bias))
        if self.activation is not activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def _broadcastable(self, bias):
        """channels_first outputs need the bias as (channels, 1, ...) to line up with axis 1."""
        if self.data_format == "channels_last":
            return bias
        return ops.reshape(bias, (-1,) + (1,) * self.rank)

    # -- shapes and configuration -----------------------------------------------
    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(
            self.output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        self.check_output_size(input_shape, out)
        channels = self.output_channels(input_shape[channel_axis(self.data_format)])
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (channels,)
        return (input_shape[0], channels) + out

    def check_output_size(self, input_shape, spatial_output):
        if any(n is not None and n <= 0 for n in spatial_output):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: inputs of shape {tuple(input_shape)} are too "
                f"small for kernel_size={self.kernel_size} with dilation_rate={self.dilation_rate} "
                f"and padding='valid'{self.too_small_detail.format(spatial_output=spatial_output)}. "
                "Use padding='same' or a smaller kernel."
            )

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in self.settings})
        config["activation"] = activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        config.update(weight_settings.weight_settings_config(
            self, self.kernel_families + ("bias",), activity_regularizer=True))
        return config
