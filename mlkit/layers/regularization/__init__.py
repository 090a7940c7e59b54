"""Regularization layers: noise and penalties that fight overfitting.

The random ones (Dropout, GaussianNoise, ...) act only when called with
`training=True` and pass their input through unchanged otherwise.

    >>> from mlkit import layers, ops
    >>> layers.Dropout(0.5)(ops.ones((1, 2))).numpy().tolist()
    [[1.0, 1.0]]
"""

from mlkit.layers.regularization.activity_regularization import ActivityRegularization
from mlkit.layers.regularization.dropout import Dropout
from mlkit.layers.regularization.gaussian_dropout import GaussianDropout
from mlkit.layers.regularization.gaussian_noise import GaussianNoise
from mlkit.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

__all__ = [
    "ActivityRegularization",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]
