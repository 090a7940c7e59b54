"""Small handwritten digits (8x8 pixels), shipped with mlkit.

This is a pocket-size stand-in for MNIST: 1,797 grey-scale images of the
digits 0-9, each only 8x8 pixels.  It lives inside the package, so the
course works offline and ``load_data`` never touches the network.

Every pixel is an integer count from 0 (white) to 16 (fully inked); we
return it as float32 without rescaling, so divide by 16 to get values in
[0, 1].  Source and licence (CC BY 4.0): see ``data/DIGITS_LICENSE.txt``.

Example:

>>> from mlkit.datasets import digits
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> x_train.shape, x_test.shape
((1438, 8, 8), (359, 8, 8))
>>> x_train = x_train / 16.0          # pixels now in [0, 1]
"""

import numbers
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).parent / "data" / "digits.npz"
LICENSE_FILE = Path(__file__).parent / "data" / "DIGITS_LICENSE.txt"
NUM_CLASSES = 10


def load_data(test_split=0.2, seed=113):
    """Return the digits as ``(x_train, y_train), (x_test, y_test)``.

    Same shape of API as ``keras.datasets.mnist.load_data``:

    - ``x_*``: float32 array of shape ``(n, 8, 8)``, raw pixel values 0..16.
    - ``y_*``: uint8 array of shape ``(n,)``, digit labels 0..9.

    The split is stratified: each digit is divided separately, so both
    parts keep the same mix of classes.  ``test_split`` is the fraction of
    every class that goes to the test set (rounded per class); with the
    default 0.2 that is 1,438 training and 359 test images, whatever the
    seed.  ``seed`` only decides *which* images land where and in what
    order, so the same seed always gives the same arrays.

    >>> (x_train, y_train), (x_test, y_test) = load_data(seed=0)
    >>> int(x_train.max()), y_train.dtype
    (16, dtype('uint8'))
    """
    _check_arguments(test_split, seed)
    images, labels = _read_data_file()

    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for digit in range(NUM_CLASSES):
        indices = rng.permutation(np.flatnonzero(labels == digit))
        n_test = int(round(test_split * len(indices)))
        test_parts.append(indices[:n_test])
        train_parts.append(indices[n_test:])

    # Shuffle again so the classes are mixed, not sorted 0, 0, ..., 9.
    train_idx = rng.permutation(np.concatenate(train_parts))
    test_idx = rng.permutation(np.concatenate(test_parts))

    x = images.astype(np.float32)
    return (x[train_idx], labels[train_idx]), (x[test_idx], labels[test_idx])


def _read_data_file():
    """Read the packaged .npz file: uint8 images (1797, 8, 8), uint8 labels."""
    with np.load(DATA_FILE) as data:
        return data["images"], data["labels"]


def _check_arguments(test_split, seed):
    is_real = isinstance(test_split, numbers.Real) and not isinstance(test_split, bool)
    if not is_real or not 0.0 < test_split < 1.0:
        raise ValueError(
            f"digits.load_data: test_split must be a number strictly between "
            f"0 and 1, got {test_split!r}"
        )
    is_int = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
    if not is_int or seed < 0:
        raise ValueError(
            f"digits.load_data: seed must be a non-negative integer, got {seed!r}"
        )
