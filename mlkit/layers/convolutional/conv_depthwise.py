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

from mlkit import activations, constraints, initializers, ops, regularizers
from mlkit.layers.convolutional.conv import check_positive_int, check_strides_or_dilation
from mlkit.layers.convolutional.input_shapes import channel_axis, check_channels, check_rank, named_error
from mlkit.layers.layer import Layer
from mlkit.ops.conv import (
    depthwise_conv,
    output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)


class BaseDepthwiseConv(Layer):
    """Abstract N-d depthwise convolution; `rank` is the number of spatial axes."""

    def __init__(
        self,
        rank,
        depth_multiplier,
        kernel_size,
        strides=1,
        padding="valid",
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
        self.rank = rank
        check_positive_int(self, "depth_multiplier", depth_multiplier)
        self.depth_multiplier = depth_multiplier
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        check_strides_or_dilation(self)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = None  # checked by check_rank / check_channels instead

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = input_shape[channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the channel axis of the inputs must be "
                f"known to create the kernel, received input shape {tuple(input_shape)}."
            )
        self.compute_output_shape(input_shape)  # fails early if the input is too small
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._channels = channels

    def call(self, inputs):
        shape = inputs.shape
        if len(shape) != self.rank + 2:
            check_rank(self, shape, self.rank, self.data_format)
        check_channels(self, shape, self._channels, self.data_format)
        try:
            outputs = depthwise_conv(
                inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate
            )
        except ValueError as error:  # e.g. inputs smaller than the kernel
            raise named_error(self, error) from None
        if self.bias is not None:
            bias = self.bias
            if self.data_format == "channels_first":
                bias = ops.reshape(bias, (-1,) + (1,) * self.rank)
            outputs = ops.add(outputs, bias)
        if self.activation is not activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = input_shape[channel_axis(self.data_format)]
        filters = None if channels is None else channels * self.depth_multiplier
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(
            output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: inputs of shape {tuple(input_shape)} are too "
                f"small for kernel_size={self.kernel_size} with dilation_rate={self.dilation_rate} "
                f"and padding='valid'. Use padding='same' or a smaller kernel."
            )
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (filters,)
        return (input_shape[0], filters) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "depth_multiplier": self.depth_multiplier,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-d depthwise convolution over sequences (batch, steps, channels)."""

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
        super().__init__(
            rank=1,
            depth_multiplier=depth_multiplier,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-d depthwise convolution over images (batch, height, width, channels)."""

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
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
        super().__init__(
            rank=2,
            depth_multiplier=depth_multiplier,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
