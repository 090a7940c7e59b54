"""`Cropping2D`: cut rows and columns off the borders of each image.

`cropping` is an int (same on all four sides), a pair `(height, width)`
(symmetric), or `((top, bottom), (left, right))`. It is the inverse of
`ZeroPadding2D`, e.g. to match the sizes of two feature maps before adding
them.

    >>> from mlkit import layers, ops
    >>> layers.Cropping2D(cropping=((2, 2), (4, 4)))(ops.ones((2, 28, 28, 3))).shape
    (2, 24, 20, 3)
"""

from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.reshaping.data_format import normalize_pairs, standardize_data_format


class Cropping2D(Layer):
    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"Cropping2D {self.name!r}"
        self.data_format = standardize_data_format(data_format, owner)
        self.cropping = normalize_pairs(cropping, "cropping", owner)
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def _height_axis(self):
        return 2 if self.data_format == "channels_first" else 1

    def _cropped_sizes(self, input_shape):
        """The new (height, width); None stays None."""
        first = self._height_axis()
        sizes = []
        for offset, (before, after) in enumerate(self.cropping):
            size = input_shape[first + offset]
            if size is not None and before + after >= size:
                raise ValueError(
                    f"Cropping2D {self.name!r}: cropping {self.cropping} removes all of axis "
                    f"{first + offset} (size {size}) of inputs of shape {tuple(input_shape)}; "
                    "the cropping on each side must sum to less than the image size."
                )
            sizes.append(None if size is None else size - before - after)
        return sizes

    def call(self, inputs):
        height, width = self._cropped_sizes(inputs.shape)
        (top, _), (left, _) = self.cropping
        rows, columns = slice(top, top + height), slice(left, left + width)
        if self.data_format == "channels_first":
            return inputs[:, :, rows, columns]
        return inputs[:, rows, columns, :]

    def compute_output_shape(self, input_shape):
        height, width = self._cropped_sizes(input_shape)
        if self.data_format == "channels_first":
            return (input_shape[0], input_shape[1], height, width)
        return (input_shape[0], height, width, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config
