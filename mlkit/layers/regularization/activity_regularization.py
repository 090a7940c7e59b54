"""`ActivityRegularization`: pass inputs through, and penalize their size.

The layer's output is its input; on every call it adds
`(l1 * sum(|x|) + l2 * sum(x^2)) / batch_size` to `layer.losses`, which `fit`
adds to the loss it minimizes. This pushes the previous layer towards small
(l2) or sparse (l1) activations.

    >>> from mlkit import layers, ops
    >>> regularize = layers.ActivityRegularization(l1=0.1)
    >>> regularize(ops.ones((2, 3))).shape
    (2, 3)
    >>> [round(float(loss), 4) for loss in regularize.losses]    # 0.1 * 6 / 2
    [0.3]
"""

from mlkit import regularizers
from mlkit.layers.layer import Layer


class ActivityRegularization(Layer):
    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs  # the penalty is added by Layer.__call__ via activity_regularizer

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # rebuilt from l1 and l2
        config.update({"l1": self.l1, "l2": self.l2})
        return config
