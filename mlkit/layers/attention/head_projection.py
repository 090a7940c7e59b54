"""The projections of multi-head attention: Dense layers with a heads axis.

`HeadProjection` maps features to `heads` vectors of `size` numbers, with a
kernel (features, heads, size); `HeadMerge` maps them back, with a kernel
(heads, size, units). Keras builds these as `EinsumDense` layers with the
same kernel shapes, so weights travel between the two unchanged.

    >>> from mlkit import ops
    >>> project = HeadProjection(heads=2, size=3, name="query")
    >>> project(ops.ones((4, 5, 8))).shape          # (batch, steps, heads, size)
    (4, 5, 2, 3)
    >>> HeadMerge(units=8, name="attention_output")(ops.ones((4, 5, 2, 3))).shape
    (4, 5, 8)
"""

from mlkit import ops
from mlkit.layers.layer import Layer
from mlkit.layers.weight_settings import set_weight_settings


class ProjectionSettings(Layer):
    """What both projections share: the initializers, regularizers and constraints."""

    def __init__(self, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.use_bias = use_bias
        set_weight_settings(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_settings(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def add_kernel_and_bias(self, kernel_shape, bias_shape):
        self.kernel = self.add_weight(
            shape=kernel_shape, initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape, initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias",
            )


class HeadProjection(ProjectionSettings):
    """(..., features) -> (..., heads, size)."""

    def __init__(self, heads, size, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.size = heads, size
        self.supports_masking = True

    def build(self, input_shape):
        self.add_kernel_and_bias((input_shape[-1], self.heads, self.size), (self.heads, self.size))

    def call(self, inputs):
        outputs = ops.einsum("...f,fhs->...hs", inputs, self.kernel)
        return outputs if self.bias is None else outputs + self.bias


class HeadMerge(ProjectionSettings):
    """(..., heads, size) -> (..., units)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        self.add_kernel_and_bias((input_shape[-2], input_shape[-1], self.units), (self.units,))

    def call(self, inputs):
        outputs = ops.einsum("...hs,hsu->...u", inputs, self.kernel)
        return outputs if self.bias is None else outputs + self.bias
