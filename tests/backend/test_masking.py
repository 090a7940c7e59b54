"""mlkit/backend/masking.py: masks ride along with their tensor and die with it."""

import doctest
import gc

import numpy as np

from mlkit import ops
from mlkit.backend import masking


def test_a_mask_follows_its_tensor_only_and_is_dropped_with_it():
    x, other = ops.ones((2, 3)), ops.ones((2, 3))
    mask = np.array([[True, False, True], [True, True, False]])
    assert masking.set_keras_mask(x, mask) is x
    assert x._keras_mask is mask and other._keras_mask is None
    del x
    gc.collect()
    assert not masking.any_masks() or all(entry[0]() is not None for entry in masking._masks.values())


def test_setting_none_removes_a_mask():
    x = ops.ones((1, 2))
    masking.set_keras_mask(x, np.array([[True, False]]))
    masking.set_keras_mask(x, None)
    assert masking.get_keras_mask(x) is None


def test_docstring_examples():
    assert doctest.testmod(masking).failed == 0
