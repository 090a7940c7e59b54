"""`ELU`: the exponential linear unit, a smooth ReLU that saturates at -alpha.

    f(x) = x                     if x > 0
    f(x) = alpha * (exp(x) - 1)  otherwise

    >>> from mlkit import layers, ops
    >>> y = layers.ELU(alpha=2.0)(ops.convert_to_tensor([[-100.0, 3.0]]))
    >>> y.numpy().round(3).tolist()
    [[-2.0, 3.0]]
"""

from mlkit import ops
from mlkit.layers.layer import Layer


class ELU(Layer):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
