"""`Concatenate`: join a list of tensors end to end along one axis.

All inputs must have the same rank and the same sizes on every axis except
`axis` (default -1, the features), where the sizes add up.

    >>> from mlkit import layers, ops
    >>> layers.Concatenate()([ops.ones((2, 3)), ops.zeros((2, 5))]).shape
    (2, 8)
    >>> layers.Concatenate(axis=1).compute_output_shape([(None, 2, 5), (None, 1, 5)])
    (None, 3, 5)
"""

from mlkit import ops
from mlkit.layers.merging.base_merge import Merge


class Concatenate(Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape):
        self._check_input_list(input_shape)
        rank = len(input_shape[0])
        shapes = "(" + ", ".join(str(tuple(s)) for s in input_shape) + ")"
        if any(len(shape) != rank for shape in input_shape):
            raise ValueError(
                f"{self._describe()}: all inputs must have the same number of axes, got shapes "
                f"{shapes}."
            )
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{self._describe()}: axis={self.axis} does not exist in inputs with {rank} axes "
                f"(shapes {shapes})."
            )
        axis = self.axis % rank
        output_shape = list(input_shape[0])
        for position in range(rank):
            sizes = [shape[position] for shape in input_shape]
            if position == axis:
                output_shape[position] = None if None in sizes else sum(sizes)
                continue
            known = {size for size in sizes if size is not None}
            if len(known) > 1:
                raise ValueError(
                    f"{self._describe()}: inputs must have matching shapes except along the "
                    f"concatenation axis {self.axis}, but axis {position} has sizes {sizes} "
                    f"(shapes {shapes})."
                )
            output_shape[position] = known.pop() if known else None
        return tuple(output_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._check_input_list(tuple(inputs.shape))
        try:
            return ops.concatenate(list(inputs), axis=self.axis)
        except ValueError:
            self.compute_output_shape([tuple(x.shape) for x in inputs])  # explains what is wrong
            raise

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `concatenate([x1, x2], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
