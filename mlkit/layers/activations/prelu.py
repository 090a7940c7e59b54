"""`PReLU`: a leaky ReLU whose negative slope is learned, one per unit.

    f(x) = x          if x >= 0
    f(x) = alpha * x  otherwise      (alpha is a weight, initially 0)

`alpha` has the input's shape without the batch axis; `shared_axes` lists
axes (1 = the first after the batch) along which one slope is shared, e.g.
`shared_axes=[1, 2]` gives one slope per channel of an image.

    >>> from mlkit import layers, ops
    >>> prelu = layers.PReLU(shared_axes=[1])
    >>> prelu(ops.ones((2, 5, 3))).shape
    (2, 5, 3)
    >>> prelu.alpha.shape
    (1, 3)
"""

from mlkit import constraints, initializers, ops, regularizers
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer


class PReLU(Layer):
    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        alpha_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"PReLU {self.name!r}: shared_axes must name axes 1..{len(input_shape) - 1} "
                    f"of the input (axis 0 is the batch), got {self.shared_axes} for input "
                    f"shape {tuple(input_shape)}."
                )
            alpha_shape[axis - 1] = 1
        if any(size is None for size in alpha_shape):
            raise ValueError(
                f"PReLU {self.name!r}: every non-shared axis must have a known size to build "
                f"alpha, got input shape {tuple(input_shape)}. Share the unknown axes with "
                "shared_axes=[...]."
            )
        self.alpha = self.add_weight(
            shape=alpha_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            name="alpha",
        )
        unshared = {axis: input_shape[axis] for axis in range(1, len(input_shape))
                    if axis not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=unshared)

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes,
            }
        )
        return config
