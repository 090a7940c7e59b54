"""How values appear in failure messages: short, exact, and readable.

    >>> import numpy as np
    >>> describe((2, 4))
    '(2, 4)'
    >>> describe(np.arange(3.0))
    'array of shape (3,), dtype float64: [0. 1. 2.]'
    >>> describe(0.1 + 0.2)
    '0.3'
"""

import numpy as np

# Arrays up to this many values are printed in full; larger ones are summarized.
_SMALL_ARRAY = 12


def describe(value):
    """A one-glance description of `value` for "Expected:" / "Got:" lines."""
    if isinstance(value, str):
        return value
    array = _as_array(value)
    if array is not None:
        return _describe_array(array)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)


def shape_of(value):
    """The shape of an array-like value as a tuple, or None if it has none."""
    array = _as_array(value)
    return None if array is None else tuple(array.shape)


def indent_after_first(text, prefix):
    """Indent every line of `text` but the first with `prefix`."""
    first, *rest = str(text).split("\n")
    return "\n".join([first] + [prefix + line for line in rest])


def _as_array(value):
    """The NumPy array behind a tensor, variable or array; None for anything else."""
    if isinstance(value, np.ndarray):
        return value
    data = getattr(value, "data", None)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)
    return None


def _describe_array(array):
    head = f"array of shape {tuple(array.shape)}, dtype {array.dtype}"
    if array.size <= _SMALL_ARRAY:
        return f"{head}: {np.array2string(array, precision=4, separator=' ')}"
    if array.dtype.kind in "fiu" and array.size:
        finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
        summary = (
            f"min {finite.min():.4g}, max {finite.max():.4g}, mean {finite.mean():.4g}"
            if finite.size else "no finite values"
        )
        nan_count = int(np.isnan(array).sum()) if array.dtype.kind == "f" else 0
        if nan_count:
            summary += f", {nan_count} NaN"
        return f"{head} ({summary})"
    return head
