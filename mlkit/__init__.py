"""mlkit: the Keras 3 layer API, implemented in NumPy so you can read it.

    >>> import mlkit
    >>> from mlkit import layers, ops
    >>> layer = layers.Dense(2)
    >>> layer(ops.ones((1, 3))).shape
    (1, 2)

Modules, bottom up: `ops` (tensors and autodiff), `initializers`,
`regularizers`, `constraints`, `activations`, `layers`; then models,
losses, metrics, optimizers, callbacks, saving and datasets.
"""

from mlkit import (
    activations,
    backend,
    constraints,
    dtype_policies,
    initializers,
    layers,
    ops,
    random,
    regularizers,
    saving,
    utils,
)
from mlkit.ops.autodiff import GradientTape
from mlkit.variable import Variable

__version__ = "0.1.0"
