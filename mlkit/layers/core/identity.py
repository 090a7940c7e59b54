"""`Identity`: a layer that returns its input unchanged.

A placeholder: where a model is built from a list of options (a residual
block with or without a projection, say), `Identity()` stands for "nothing
here". It accepts any input: a tensor, or a list or dict of tensors.

    >>> from mlkit import layers, ops
    >>> x = ops.ones((2, 3))
    >>> layers.Identity()(x) is x
    True
"""

from mlkit.layers.layer import Layer


class Identity(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return super().get_config()
