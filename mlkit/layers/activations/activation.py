"""`Activation`: apply an activation function as a layer of its own.

`Dense(4, activation="relu")` and `Dense(4)` followed by `Activation("relu")`
compute the same thing; the separate layer is handy when something must
happen between the linear part and the non-linearity (batch normalization,
for instance).

    >>> from mlkit import layers, ops
    >>> layers.Activation("relu")(ops.convert_to_tensor([[-1.0, 2.0]])).numpy().tolist()
    [[0.0, 2.0]]
"""

from mlkit import activations
from mlkit.layers.layer import Layer


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True  # no weights to create

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
