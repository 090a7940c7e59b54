"""`Dense`: the fully connected layer, `activation(inputs @ kernel + bias)`.

    >>> from mlkit import layers, ops
    >>> dense = layers.Dense(4, activation="relu")
    >>> dense(ops.ones((2, 3))).shape
    (2, 4)
    >>> [w.path for w in dense.weights]
    ['dense/kernel', 'dense/bias']

Inputs with more than two axes are multiplied along their last axis, so a
Dense applies to every time step of a sequence (batch, time, features).
"""

from mlkit import activations, ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.weight_settings import layer_setting, set_weight_settings, weight_settings_config
from mlkit.ops import fused
from mlkit.utils.arguments import check_bool

# Activations that fused.dense applies itself (as plain functions, with their defaults).
_FUSED = {
    activations.linear: "linear",
    activations.relu: "relu",
    activations.tanh: "tanh",
    activations.sigmoid: "sigmoid",
    activations.softmax: "softmax",
}


def fused_activation_name(activation):
    """The name mlkit.ops.fused knows `activation` by, or None if it has no fused version."""
    try:
        return _FUSED.get(activation)
    except TypeError:  # an unhashable callable object
        return None


class Dense(Layer):
    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if quantization_config is not None:
            raise NotImplementedError(
                f"Dense {self.name!r}: mlkit has no quantized layers, so quantization_config must "
                f"be None (it is in the config only to match Keras). Received: {quantization_config!r}."
            )
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"Dense {self.name!r}: received an invalid value for `units`, expected a positive "
                f"integer. Received: units={units!r}. It is the number of outputs, e.g. Dense(10)."
            )
        self.units = units
        self.activation = layer_setting(self, activations, "activation", "activation", activation)
        self.use_bias = check_bool(f"Dense {self.name!r}", "use_bias", use_bias)
        set_weight_settings(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_settings(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense {self.name!r}: the last axis of the input must be known to build the "
                f"kernel, got input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        # What a dense layer computes:
        #     outputs = ops.matmul(inputs, self.kernel) + self.bias
        #     return self.activation(outputs)
        # For the common activations one fused op does all three steps and
        # their gradient in a single graph node (see mlkit/ops/fused.py), which
        # makes a training step of a small MLP about a third faster.
        fused_name = fused_activation_name(self.activation)
        if fused_name is not None:
            return fused.dense(inputs, self.kernel, self.bias, fused_name)
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                **weight_settings_config(self, ["kernel", "bias"]),
                "quantization_config": None,
            }
        )
        return config
