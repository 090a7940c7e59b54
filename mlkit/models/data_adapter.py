"""Turning what `fit`/`evaluate`/`predict` receive into batches.

`x` may be a NumPy array (or tensor), a list or dict of arrays for a model
with several inputs, or a Python generator / iterable that yields batches
`(x, y)` or `(x, y, sample_weight)`. Arrays are cut into batches of
`batch_size` (shuffled each epoch when asked); iterables are used as they are.

    >>> import numpy as np
    >>> data = ArrayBatches(np.zeros((10, 3)), np.zeros(10), batch_size=4)
    >>> [len(x) for x, y in data.batches()]
    [4, 4, 2]
"""

import numpy as np

from mlkit.utils.tree import flatten, map_structure


def _as_array(value):
    if type(value) is np.ndarray:
        return value  # already one (and an array's own `.data` is its raw buffer, not a value)
    return np.asarray(getattr(value, "data", value))


def _to_arrays(structure):
    if structure is None:
        return None
    if type(structure) is np.ndarray:  # one array, the usual batch: no structure to walk
        return structure
    return map_structure(_as_array, structure)


def _length(structure, what):
    lengths = {len(a) for a in flatten(structure) if a is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"All arrays in {what} must have the same number of samples (first axis), got "
            f"lengths {sorted(lengths)}. Check that x, y and sample_weight line up."
        )
    return lengths.pop() if lengths else 0


def _take(structure, index):
    if type(structure) is np.ndarray:  # one array, the usual case
        return structure[index]
    if structure is None:  # no y or no sample weights
        return None
    return map_structure(lambda a: None if a is None else a[index], structure)


def is_array_like(x):
    leaves = flatten(x) if isinstance(x, (list, tuple, dict)) else [x]
    return all(isinstance(v, np.ndarray) or hasattr(v, "shape") and hasattr(v, "data") or isinstance(v, (int, float)) for v in leaves)


class ArrayBatches:
    """Batches over in-memory arrays (nested lists/dicts allowed)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, seed=None):
        self.x, self.y, self.sample_weight = _to_arrays(x), _to_arrays(y), _to_arrays(sample_weight)
        self.num_samples = _length([self.x, self.y, self.sample_weight], "x, y and sample_weight")
        if y is not None and _length(self.y, "y") != _length(self.x, "x"):
            raise ValueError(
                f"x has {_length(self.x, 'x')} samples but y has {_length(self.y, 'y')}: "
                "they must have the same first dimension."
            )
        if batch_size is None:
            batch_size = 32
        if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed

    @property
    def steps(self):
        return -(-self.num_samples // self.batch_size)

    def batches(self):
        count = self.num_samples
        if self.shuffle:
            from mlkit.random import generator_for

            order = generator_for(self.seed).permutation(count)
            x, y, w = _take(self.x, order), _take(self.y, order), _take(self.sample_weight, order)
        else:
            x, y, w = self.x, self.y, self.sample_weight
        for start in range(0, count, self.batch_size):
            index = slice(start, start + self.batch_size)
            yield pack_batch(_take(x, index), _take(y, index), _take(w, index))


class IterableBatches:
    """Batches from a generator or any iterable of (x, y[, sample_weight])."""

    def __init__(self, source, steps=None):
        self.source = source
        self.steps = steps if steps is not None else (len(source) if hasattr(source, "__len__") else None)
        self._iterator = None

    def batches(self):
        if self._iterator is None or hasattr(self.source, "__len__") or not hasattr(self.source, "__next__"):
            self._iterator = iter(self.source)
        for step, batch in enumerate(self._iterator):
            yield pack_batch(*unpack_batch(batch))
            if self.steps is not None and step + 1 >= self.steps:
                break


def pack_batch(x, y=None, sample_weight=None):
    """The batch as Keras hands it to train_step: (x,), (x, y) or (x, y, sample_weight)."""
    if sample_weight is not None:
        return x, y, sample_weight
    if y is not None:
        return x, y
    return (x,)


def unpack_batch(batch):
    """(x, y, sample_weight) from a batch given as x, (x,), (x, y) or (x, y, w)."""
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return _to_arrays(batch[0]), None, None
        if len(batch) == 2:
            return _to_arrays(batch[0]), _to_arrays(batch[1]), None
        if len(batch) == 3:
            return tuple(_to_arrays(part) for part in batch)
        raise ValueError(
            f"A batch must be x, (x, y) or (x, y, sample_weight); got a tuple of {len(batch)} items."
        )
    return _to_arrays(batch), None, None


def _nested_list_as_array(value):
    """A Python list of numbers (or of lists of numbers) as one array; a list of arrays stays a list."""
    if isinstance(value, list) and value and not all(hasattr(v, "shape") for v in value):
        try:
            return np.asarray(value)
        except ValueError:
            raise ValueError(
                "The data is a nested Python list whose rows have different lengths, so it cannot "
                "become one array. Give every sample the same number of values (pad short ones), "
                "or pass NumPy arrays."
            ) from None
    return value


def make_batches(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None, seed=None):
    """The right batch source for `x` (arrays or an iterable of batches)."""
    if x is None:
        raise ValueError("No data was given: pass x (and y) to fit/evaluate/predict.")
    if isinstance(x, (np.ndarray, list, dict)) or hasattr(x, "data") and hasattr(x, "shape"):
        x, y, sample_weight = (_nested_list_as_array(part) for part in (x, y, sample_weight))
        return ArrayBatches(x, y, sample_weight, batch_size, shuffle, seed)
    if isinstance(x, tuple):
        return ArrayBatches(list(x), y, sample_weight, batch_size, shuffle, seed)
    if y is not None:
        raise ValueError(
            "When x is a generator or another iterable of batches, it must yield (x, y) pairs "
            "itself: do not pass y separately."
        )
    if hasattr(x, "__iter__") or hasattr(x, "__next__"):
        return IterableBatches(x, steps)
    raise TypeError(
        f"Unrecognized data type for x: {type(x).__name__}. Pass a NumPy array, a list/dict of "
        "arrays, or a generator yielding (x, y) batches."
    )


def split_validation(x, y, sample_weight, validation_split):
    """Hold out the last `validation_split` fraction of the samples, like Keras."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1 (exclusive), got {validation_split}.")
    if not is_array_like(x):
        raise ValueError(
            "validation_split only works with array inputs, not with generators. Pass "
            "validation_data=(x_val, y_val) instead."
        )
    x, y, sample_weight = _to_arrays(x), _to_arrays(y), _to_arrays(sample_weight)
    count = _length(x, "x")
    cut = int(count * (1 - validation_split))
    if cut == 0 or cut == count:
        raise ValueError(
            f"validation_split={validation_split} of {count} samples leaves an empty training or "
            "validation set. Use more data or another split."
        )
    head, tail = slice(0, cut), slice(cut, None)
    return (_take(x, head), _take(y, head), _take(sample_weight, head)), (
        _take(x, tail), _take(y, tail), _take(sample_weight, tail))


def class_weights_to_sample_weights(y, class_weight):
    """One weight per sample, looked up from its class (int label or one-hot row)."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype(np.int64)
    largest = max(int(labels.max(initial=0)), max(class_weight)) + 1
    table = np.ones(largest, dtype=np.float32)
    for label, weight in class_weight.items():
        table[int(label)] = weight
    return table[labels]
