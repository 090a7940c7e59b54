"""`Merge`: the base of the layers that combine a list of tensors element-wise.

`Add`, `Subtract`, `Multiply`, `Average`, `Maximum` and `Minimum` all take a
list of tensors with the same batch size and combine them value by value.
Shapes follow NumPy broadcasting on the axes after the batch axis: sizes must
be equal or 1, and an input with fewer axes gets size-1 axes inserted right
after its batch axis. So `(batch, 4)` merges with `(batch, 3, 4)`, but
`(batch, 3)` does not merge with `(batch, 4)`.

A subclass only writes `_merge_function(inputs)`:

    >>> from mlkit import ops
    >>> class Sum(Merge):
    ...     def _merge_function(self, inputs):
    ...         return ops.add_n(inputs)
    >>> Sum()([ops.ones((2, 3)), ops.ones((2, 3))]).numpy().tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
"""

from mlkit import ops
from mlkit.layers.layer import Layer


def is_shape_list(input_shape):
    """True for a list of shapes (one per input), False for a single shape."""
    return isinstance(input_shape, (list, tuple)) and all(
        isinstance(shape, (list, tuple)) for shape in input_shape
    )


class Merge(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(self, inputs):
        raise NotImplementedError(f"{type(self).__name__} must implement _merge_function(inputs).")

    def _describe(self):
        return f"{type(self).__name__} layer {self.name!r}"

    def _check_input_list(self, input_shape, exactly=None):
        """Raise a clear error unless `input_shape` lists the shapes of enough inputs."""
        if not is_shape_list(input_shape) or len(input_shape) == 0:
            raise ValueError(
                f"{self._describe()} must be called on a list of tensors, e.g. "
                f"`{type(self).__name__}()([x1, x2])`; got a single input of shape "
                f"{tuple(input_shape) if isinstance(input_shape, (list, tuple)) else input_shape}."
            )
        if exactly is not None and len(input_shape) != exactly:
            raise ValueError(
                f"{self._describe()} must be called on exactly {exactly} inputs, got "
                f"{len(input_shape)} (shapes {[tuple(s) for s in input_shape]})."
            )

    def _check_batch_sizes(self, input_shape):
        batch_sizes = {shape[0] for shape in input_shape if len(shape) > 0} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self._describe()}: cannot merge tensors with different batch sizes; got "
                f"shapes {[tuple(s) for s in input_shape]}. Every input must have the same "
                "number of samples (axis 0)."
            )

    def _broadcast_shape(self, shape1, shape2, input_shape):
        """The element-wise result shape of two per-sample shapes (batch axis removed)."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        shape2 = (1,) * (len(shape1) - len(shape2)) + tuple(shape2)
        result = []
        for size1, size2 in zip(shape1, shape2):
            if size1 is None or size2 is None:
                result.append(None)
            elif size1 == 1:
                result.append(size2)
            elif size2 == 1 or size1 == size2:
                result.append(size1)
            else:
                raise ValueError(
                    f"{self._describe()}: inputs have incompatible shapes "
                    f"{', '.join(str(tuple(s)) for s in input_shape)}. After the batch axis, "
                    "sizes must be equal or 1 (broadcast) on every axis; reshape or slice the "
                    "inputs so they match."
                )
        return tuple(result)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # validates the shapes

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape)
        self._check_batch_sizes(input_shape)
        per_sample = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            per_sample = self._broadcast_shape(per_sample, tuple(shape[1:]), input_shape)
        batch_sizes = {shape[0] for shape in input_shape} - {None}
        batch = batch_sizes.pop() if batch_sizes else None
        return (batch,) + per_sample

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._check_input_list(tuple(inputs.shape))
        ranks = [len(x.shape) for x in inputs]
        if min(ranks) != max(ranks):
            # Insert size-1 axes right after the batch axis, so shapes align on the right.
            inputs = [
                ops.reshape(x, (x.shape[0],) + (1,) * (max(ranks) - rank) + tuple(x.shape[1:]))
                for x, rank in zip(inputs, ranks)
            ]
        try:
            return self._merge_function(inputs)
        except ValueError:
            self.compute_output_shape([tuple(x.shape) for x in inputs])  # explains what is wrong
            raise
