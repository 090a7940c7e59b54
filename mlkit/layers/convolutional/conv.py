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
next step). `BaseConv` does the work for any number of spatial axes; Conv1D
and Conv2D only fix the rank and the defaults.
"""

from mlkit import activations, constraints, initializers, ops, regularizers
from mlkit.layers.convolutional.input_shapes import channel_axis, check_channels, check_rank, named_error
from mlkit.layers.core.dense import fused_activation_name
from mlkit.layers.layer import Layer
from mlkit.ops import fused
from mlkit.ops.conv import (
    conv,
    output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)


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


class BaseConv(Layer):
    """Abstract N-d convolution; `rank` is the number of spatial axes."""

    def __init__(
        self,
        rank,
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
        self.rank = rank
        check_positive_int(self, "filters", filters)
        check_positive_int(self, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the number of filters must be divisible by "
                f"the number of groups. Received filters={filters}, groups={groups}."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=rank == 1)
        self.data_format = standardize_data_format(data_format)
        check_strides_or_dilation(self)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # The input is checked by `check_rank`/`check_channels`, whose messages
        # say how to fix a missing channel or batch axis.
        self.input_spec = None

    def build(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = input_shape[channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the channel axis of the inputs must be "
                f"known to create the kernel, received input shape {tuple(input_shape)}."
            )
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the number of input channels must be "
                f"divisible by the number of groups. Received groups={self.groups}, but the input "
                f"has {channels} channels (full input shape {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)  # fails early if the input is too small
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._channels = channels

    def convolution_op(self, inputs, kernel):
        return conv(inputs, kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def call(self, inputs):
        shape = inputs.shape
        if len(shape) != self.rank + 2:
            check_rank(self, shape, self.rank, self.data_format)
        check_channels(self, shape, self._channels, self.data_format)
        try:
            outputs = self.convolution_op(inputs, self.kernel)
        except ValueError as error:  # e.g. inputs smaller than the kernel
            raise named_error(self, error) from None
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
        """channels_first outputs need the bias as (filters, 1, ...) to line up with axis 1."""
        if self.data_format == "channels_last":
            return bias
        return ops.reshape(bias, (self.filters,) + (1,) * self.rank)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.rank, self.data_format)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        out = tuple(
            output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: inputs of shape {tuple(input_shape)} are too "
                f"small for kernel_size={self.kernel_size} with dilation_rate={self.dilation_rate} "
                f"and padding='valid': the output would have spatial shape {out}. Use "
                "padding='same' or a smaller kernel."
            )
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "groups": self.groups,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config


class Conv1D(BaseConv):
    """1-d convolution over sequences (batch, steps, channels)."""

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
        super().__init__(
            rank=1,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class Conv2D(BaseConv):
    """2-d convolution over images (batch, height, width, channels)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
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
        super().__init__(
            rank=2,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
