"""`UpSampling2D`: make images larger by an integer factor per axis.

`interpolation="nearest"` (the default) repeats every row `size[0]` times and
every column `size[1]` times. `"bilinear"` blends the nearest source pixels
instead, with pixel centers aligned as in image libraries (half-pixel
centers, edges clamped); it is two small matrix products, one per axis.

    >>> from mlkit import layers, ops
    >>> x = ops.reshape(ops.arange(4, dtype="float32"), (1, 2, 2, 1))
    >>> layers.UpSampling2D(size=(1, 2))(x)[0, :, :, 0].numpy().tolist()
    [[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]]
"""

import numpy as np

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.reshaping.data_format import standardize_data_format

INTERPOLATIONS = ("nearest", "bilinear")


def linear_interpolation_matrix(input_size, factor, dtype):
    """The (input_size * factor, input_size) matrix that resizes one axis linearly.

    Output pixel i has its center at (i + 0.5) / factor - 0.5 in input pixel
    coordinates; it takes a weighted mean of the two input pixels around it.
    """
    centers = (np.arange(input_size * factor) + 0.5) / factor - 0.5
    centers = np.clip(centers, 0, input_size - 1)
    below = np.floor(centers).astype(int)
    above = np.minimum(below + 1, input_size - 1)
    fraction = centers - below
    matrix = np.zeros((input_size * factor, input_size))
    rows = np.arange(input_size * factor)
    np.add.at(matrix, (rows, below), 1 - fraction)
    np.add.at(matrix, (rows, above), fraction)
    return matrix.astype(dtype)


class UpSampling2D(Layer):
    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = f"UpSampling2D {self.name!r}"
        self.data_format = standardize_data_format(data_format, owner)
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(isinstance(n, int) and n > 0 for n in size):
            raise ValueError(f"{owner}: size must be a positive int or a pair of them, got size={size!r}.")
        self.size = size
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"{owner}: interpolation={interpolation!r} is not available; use one of {INTERPOLATIONS}."
            )
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs):
        channels_first = self.data_format == "channels_first"
        if channels_first:
            inputs = ops.transpose(inputs, (0, 2, 3, 1))
        if self.interpolation == "nearest":
            outputs = ops.repeat(ops.repeat(inputs, self.size[0], axis=1), self.size[1], axis=2)
        else:
            _, height, width, _ = inputs.shape
            rows = linear_interpolation_matrix(height, self.size[0], inputs.dtype)
            columns = linear_interpolation_matrix(width, self.size[1], inputs.dtype)
            outputs = ops.einsum("ih,bhwc->biwc", rows, inputs)
            outputs = ops.einsum("jw,biwc->bijc", columns, outputs)
        if channels_first:
            outputs = ops.transpose(outputs, (0, 3, 1, 2))
        return outputs

    def compute_output_shape(self, input_shape):
        first = 2 if self.data_format == "channels_first" else 1
        output_shape = list(input_shape)
        for offset, factor in enumerate(self.size):
            size = output_shape[first + offset]
            output_shape[first + offset] = None if size is None else size * factor
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation}
        )
        return config
