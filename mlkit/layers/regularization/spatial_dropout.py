"""`SpatialDropout1D/2D/3D`: dropout that drops whole feature maps.

Neighbouring pixels (or time steps) of one channel are strongly correlated,
so dropping single values hardly regularizes a convolution. These layers
drop entire channels instead: one keep/drop decision per sample and channel,
shared over all positions.

    >>> from mlkit import layers, ops
    >>> y = layers.SpatialDropout1D(0.5, seed=1)(ops.ones((2, 4, 3)), training=True)
    >>> bool((y.numpy() == y.numpy()[:, :1, :]).all())    # same along the steps
    True
"""

from mlkit.layers.input_spec import InputSpec
from mlkit.layers.regularization.dropout import Dropout
from mlkit.layers.reshaping.data_format import standardize_data_format


class SpatialDropout1D(Dropout):
    """Inputs `(batch, steps, channels)`."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape_for(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return config


class SpatialDropout2D(Dropout):
    """Inputs `(batch, height, width, channels)` (or channels first)."""

    _spatial_axes = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(data_format, f"{type(self).__name__} {self.name!r}")
        self.input_spec = InputSpec(ndim=self._spatial_axes + 2)

    def _noise_shape_for(self, inputs):
        batch, ones = inputs.shape[0], (1,) * self._spatial_axes
        if self.data_format == "channels_first":
            return (batch, inputs.shape[1]) + ones
        return (batch,) + ones + (inputs.shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        config["data_format"] = self.data_format
        return config


class SpatialDropout3D(SpatialDropout2D):
    """Inputs `(batch, depth, height, width, channels)` (or channels first)."""

    _spatial_axes = 3
