"""`mlkit.utils`: seeding, naming and small helpers.

    >>> from mlkit import utils
    >>> utils.set_random_seed(0)   # every draw after this is reproducible
"""

import random as _python_random

import numpy as np

from mlkit import backend
from mlkit.random import set_global_seed
from mlkit.utils.naming import to_snake_case, unique_name


def set_random_seed(seed):
    """Seed Python's, NumPy's and mlkit's random generators at once."""
    _python_random.seed(seed)
    np.random.seed(seed)
    set_global_seed(seed)


def clear_session():
    """Reset generated layer names (see `mlkit.backend.clear_session`)."""
    backend.clear_session()


def to_categorical(x, num_classes=None):
    """Integer class labels as one-hot float32 rows."""
    labels = np.asarray(x, dtype="int64").reshape(-1)
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    out = np.zeros((labels.size, num_classes), dtype="float32")
    out[np.arange(labels.size), labels] = 1
    return out.reshape(np.shape(x)[:-1] + (num_classes,) if np.ndim(x) > 1 and np.shape(x)[-1] == 1 else np.shape(x) + (num_classes,))
