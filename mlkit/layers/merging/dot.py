"""`Dot`: per-sample dot products between two tensors.

For each sample, the two tensors are multiplied and summed along one axis
of each (`axes`, counting the batch axis as 0). With two `(batch, n)` inputs
and `axes=1` the result is `(batch, 1)`: one dot product per sample. With
`normalize=True` both inputs are first scaled to unit length along those
axes, so the result is the cosine similarity.

The output shape is the first input's shape without its summed axis,
followed by the second input's shape without its batch and summed axes
(and `(batch, 1)` when nothing else is left).

    >>> from mlkit import layers, ops
    >>> layers.Dot(axes=(1, 2))([ops.ones((1, 5, 2)), ops.ones((1, 2, 5))]).shape
    (1, 2, 2)
"""

import string

from mlkit import backend, ops
from mlkit.layers.merging.base_merge import Merge


def _l2_normalize(x, axis):
    squared_norm = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squared_norm, backend.epsilon()))


class Dot(Merge):
    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f"Dot {self.name!r}: axes must be an int or a pair of ints, got {axes!r}."
                )
            if len(axes) != 2 or not all(isinstance(axis, int) for axis in axes):
                raise ValueError(
                    f"Dot {self.name!r}: axes must be an int or a pair of ints (one axis per "
                    f"input), got axes={axes!r}."
                )
        self.axes = axes
        self.normalize = normalize

    def _resolved_axes(self, shape1, shape2):
        """The summed axis of each input, as non-negative numbers."""
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        axes = [pair[0] % len(shape1), pair[1] % len(shape2)]
        if 0 in axes:
            raise ValueError(
                f"{self._describe()}: cannot take the dot product over the batch axis 0 "
                f"(axes={self.axes}); use axes >= 1."
            )
        return axes

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape, exactly=2)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"{self._describe()}: both inputs need a batch axis and at least one more; got "
                f"shapes {tuple(shape1)} and {tuple(shape2)}."
            )
        self._check_batch_sizes(input_shape)
        axis1, axis2 = self._resolved_axes(shape1, shape2)
        size1, size2 = shape1[axis1], shape2[axis2]
        if size1 is not None and size2 is not None and size1 != size2:
            raise ValueError(
                f"{self._describe()}: axis {axis1} of the first input (size {size1}) and axis "
                f"{axis2} of the second (size {size2}) must have the same size; got shapes "
                f"{tuple(shape1)} and {tuple(shape2)}."
            )
        shape1.pop(axis1)
        shape2.pop(axis2)
        output_shape = shape1 + shape2[1:]
        return tuple(output_shape) if len(output_shape) > 1 else (output_shape[0], 1)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            self._check_input_list([tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple))
                                   else tuple(inputs.shape), exactly=2)
        x1, x2 = inputs
        axis1, axis2 = self._resolved_axes(x1.shape, x2.shape)
        if self.normalize:
            x1, x2 = _l2_normalize(x1, axis1), _l2_normalize(x2, axis2)
        # One letter per axis: the batch "a" and the summed axis "b" are shared.
        free = iter(string.ascii_lowercase[2:])
        letters1 = ["a"] + ["b" if i == axis1 else next(free) for i in range(1, x1.ndim)]
        letters2 = ["a"] + ["b" if i == axis2 else next(free) for i in range(1, x2.ndim)]
        result = [ch for ch in letters1 + letters2[1:] if ch != "b"]
        spec = f"{''.join(letters1)},{''.join(letters2)}->{''.join(result)}"
        try:
            outputs = ops.einsum(spec, x1, x2)
        except ValueError:
            self.compute_output_shape([tuple(x1.shape), tuple(x2.shape)])  # explains what is wrong
            raise
        return ops.expand_dims(outputs, -1) if outputs.ndim == 1 else outputs

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def dot(inputs, axes=-1, **kwargs):
    """Functional form of `Dot`: `dot([x1, x2], axes=1)`."""
    return Dot(axes=axes, **kwargs)(inputs)
