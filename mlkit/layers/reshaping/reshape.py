"""`Reshape`: give each sample a new shape with the same number of values.

`target_shape` leaves out the batch axis. One entry may be -1: that size is
worked out from the others.

    >>> from mlkit import layers, ops
    >>> layers.Reshape((3, 4))(ops.ones((2, 12))).shape
    (2, 3, 4)
    >>> layers.Reshape((-1, 2, 2)).compute_output_shape((None, 12))
    (None, 3, 2, 2)
"""

import math

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(int(size) for size in target_shape)
        except (TypeError, ValueError):
            raise TypeError(
                f"Reshape {self.name!r}: target_shape must be a tuple of ints (without the batch "
                f"axis), got {target_shape!r}."
            ) from None
        if target_shape.count(-1) > 1 or any(size < -1 or size == 0 for size in target_shape):
            raise ValueError(
                f"Reshape {self.name!r}: target_shape must hold positive sizes and at most one "
                f"-1 (the size to infer), got target_shape={target_shape}."
            )
        self.target_shape = target_shape
        self.input_spec = InputSpec(min_ndim=1)  # at least the batch axis
        self.built = True

    def _sample_shape(self, input_shape):
        """The new shape of one sample, with -1 worked out (None if unknowable)."""
        features = tuple(input_shape[1:])
        if any(size is None for size in features):
            return tuple(None if size == -1 else size for size in self.target_shape)
        total = math.prod(features)
        known = math.prod(size for size in self.target_shape if size != -1)
        if -1 in self.target_shape and total % known == 0:
            return tuple(total // known if size == -1 else size for size in self.target_shape)
        if -1 not in self.target_shape and total == known:
            return self.target_shape
        raise ValueError(
            f"Reshape {self.name!r}: cannot reshape samples of shape {features} ({total} values) "
            f"into target_shape={self.target_shape}; the number of values must stay the same "
            f"(batch axis excluded). Full input shape received: {tuple(input_shape)}."
        )

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self._sample_shape(inputs.shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._sample_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config
