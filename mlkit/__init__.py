"""mlkit: the Keras 3 layer API, implemented in NumPy so you can read it.

    >>> import mlkit
    >>> from mlkit import layers, ops
    >>> layer = layers.Dense(2)
    >>> layer(ops.ones((1, 3))).shape
    (1, 2)

Modules, bottom up: `ops` (tensors and autodiff), `initializers`,
`regularizers`, `constraints`, `activations`, `layers`; then `losses`,
`metrics`, `optimizers`, `models`, `callbacks`, `saving`, `datasets`.
The heavier ones are imported on first use, so `import mlkit` stays quick.
"""

import importlib

from mlkit import (
    activations,
    backend,
    config,
    constraints,
    dtype_policies,
    initializers,
    layers,
    mixed_precision,
    ops,
    random,
    regularizers,
    saving,
    utils,
)
from mlkit.dtype_policies import DTypePolicy
from mlkit.models import Input, InputLayer, KerasTensor, Model, Sequential
from mlkit.ops.autodiff import GradientTape
from mlkit.variable import Variable

__version__ = "0.1.0"

_LAZY_MODULES = ("losses", "metrics", "optimizers", "callbacks", "datasets", "models", "grading")


def __getattr__(name):
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"mlkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mlkit' has no attribute {name!r}")
