"""`ZeroPadding2D`: add rows and columns of zeros around each image.

`padding` is an int (same on all four sides), a pair `(height, width)`
(symmetric), or `((top, bottom), (left, right))`.

    >>> from mlkit import layers, ops
    >>> layers.ZeroPadding2D(padding=1)(ops.ones((2, 4, 4, 3))).shape
    (2, 6, 6, 3)
    >>> layers.ZeroPadding2D(((1, 0), (2, 3))).compute_output_shape((None, 4, 4, 3))
    (None, 5, 9, 3)
"""

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.reshaping.data_format import normalize_pairs, standardize_data_format


class ZeroPadding2D(Layer):
    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"ZeroPadding2D {self.name!r}"
        self.data_format = standardize_data_format(data_format, owner)
        self.padding = normalize_pairs(padding, "padding", owner)
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def _height_axis(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        if self.data_format == "channels_first":
            widths = ((0, 0), (0, 0), *self.padding)
        else:
            widths = ((0, 0), *self.padding, (0, 0))
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        first = self._height_axis()
        for offset, (before, after) in enumerate(self.padding):
            size = output_shape[first + offset]
            output_shape[first + offset] = None if size is None else size + before + after
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config
