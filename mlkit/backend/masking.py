"""Masks that ride along with tensors, as Keras's `_keras_mask`.

A mask says which steps of a sequence are real (True) and which are padding
(False). `Embedding(mask_zero=True)` and `Masking` attach one to their
output; every later layer whose `call` takes `mask` receives it, and losses
and metrics weight their values by it.

    >>> import numpy as np
    >>> from mlkit import ops
    >>> from mlkit.backend.masking import get_keras_mask, set_keras_mask
    >>> x = ops.convert_to_tensor(np.zeros((1, 3)))
    >>> get_keras_mask(x) is None
    True
    >>> _ = set_keras_mask(x, np.array([[True, True, False]]))
    >>> get_keras_mask(x).tolist()
    [[True, True, False]]
    >>> x._keras_mask.tolist()      # where Keras keeps it, read the same way
    [[True, True, False]]

Tensors have fixed slots, so the masks live here, keyed by the tensor's id
and dropped when the tensor dies.
"""

import weakref

_masks = {}


def set_keras_mask(x, mask):
    """Attach `mask` to the tensor `x` (None removes it); returns `x`."""
    key = id(x)
    if mask is None:
        _masks.pop(key, None)
        return x
    _masks[key] = (weakref.ref(x, lambda _, key=key: _masks.pop(key, None)), mask)
    return x


def get_keras_mask(x):
    """The mask attached to `x`, or None."""
    if not _masks:
        return None
    entry = _masks.get(id(x))
    if entry is None or entry[0]() is not x:
        return None
    return entry[1]


def any_masks():
    """True while some tensor carries a mask (lets layer calls skip the lookup)."""
    return bool(_masks)
