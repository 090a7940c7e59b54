"""Ops that move values around without changing them: reshape, transpose,
concatenate, slicing, gather, pad. Their gradients move the gradient back.

    >>> from mlkit import ops
    >>> x = ops.reshape(ops.arange(6), (2, 3))
    >>> ops.transpose(x).shape
    (3, 2)
"""

import numpy as np

from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor


def _unary(x, value, backward):
    if needs_grad(x):
        return record(value, (x,), backward)
    return Tensor(value)


def reshape(x, newshape):
    a = np.asarray(data_of(x))
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    newshape = tuple(-1 if n is None else int(n) for n in newshape)  # None means "what is left", like -1
    try:
        out = a.reshape(newshape)
    except ValueError:
        raise ValueError(
            f"ops.reshape: cannot reshape a tensor of shape {a.shape} ({a.size} values) "
            f"into shape {newshape}; the new shape must hold the same number of values."
        ) from None
    return _unary(x, out, lambda g: (g.reshape(a.shape),))


def transpose(x, axes=None):
    a = np.asarray(data_of(x))
    out = np.transpose(a, axes)
    inverse = None if axes is None else np.argsort([ax % a.ndim for ax in axes])
    return _unary(x, out, lambda g: (np.transpose(g, inverse),))


def moveaxis(x, source, destination):
    a = np.asarray(data_of(x))
    out = np.moveaxis(a, source, destination)
    return _unary(x, out, lambda g: (np.moveaxis(g, destination, source),))


def swapaxes(x, axis1, axis2):
    a = np.asarray(data_of(x))
    return _unary(x, np.swapaxes(a, axis1, axis2), lambda g: (np.swapaxes(g, axis1, axis2),))


def expand_dims(x, axis):
    a = np.asarray(data_of(x))
    return _unary(x, np.expand_dims(a, axis), lambda g: (g.reshape(a.shape),))


def squeeze(x, axis=None):
    a = np.asarray(data_of(x))
    return _unary(x, np.squeeze(a, axis=axis), lambda g: (g.reshape(a.shape),))


def flatten(x):
    return reshape(x, (-1,))


ravel = flatten


def broadcast_to(x, shape):
    from mlkit.ops.autodiff import unbroadcast

    a = np.asarray(data_of(x))
    return _unary(x, np.broadcast_to(a, tuple(shape)), lambda g: (unbroadcast(g, a.shape),))


def tile(x, repeats):
    a = np.asarray(data_of(x))
    out = np.tile(a, repeats)
    reps = (1,) * (out.ndim - len(np.atleast_1d(repeats))) + tuple(np.atleast_1d(repeats))
    base = (1,) * (out.ndim - a.ndim) + a.shape

    def backward(g):
        # Split every axis into (repeat, original) and sum over the repeats.
        split = [n for pair in zip(reps, base) for n in pair]
        summed = g.reshape(split).sum(axis=tuple(range(0, 2 * out.ndim, 2)))
        return (summed.reshape(a.shape),)

    return _unary(x, out, backward)


def repeat(x, repeats, axis=None):
    a = np.asarray(data_of(x))
    out = np.repeat(a, repeats, axis=axis)
    if not isinstance(repeats, (int, np.integer)):
        return Tensor(out) if not needs_grad(x) else _repeat_uneven(x, a, out, repeats, axis)

    def backward(g):
        if axis is None:
            return (g.reshape(a.size, repeats).sum(axis=1).reshape(a.shape),)
        ax = axis % a.ndim
        shape = a.shape[:ax] + (a.shape[ax], repeats) + a.shape[ax + 1 :]
        return (g.reshape(shape).sum(axis=ax + 1),)

    return _unary(x, out, backward)


def _repeat_uneven(x, a, out, repeats, axis):
    index = np.repeat(np.arange(a.size if axis is None else a.shape[axis]), repeats)

    def backward(g):
        if axis is None:
            grad = np.zeros(a.size, dtype=g.dtype)
            np.add.at(grad, index, g)
            return (grad.reshape(a.shape),)
        grad = np.zeros_like(a, dtype=g.dtype)
        moved = np.moveaxis(grad, axis, 0)
        np.add.at(moved, index, np.moveaxis(g, axis, 0))
        return (grad,)

    return record(out, (x,), backward)


def concatenate(xs, axis=0):
    values = [np.asarray(data_of(x)) for x in xs]
    out = np.concatenate(values, axis=axis)
    if not any(needs_grad(x) for x in xs):
        return Tensor(out)
    bounds = np.cumsum([v.shape[axis] for v in values])[:-1]
    return record(out, tuple(xs), lambda g: tuple(np.split(g, bounds, axis=axis)))


concat = concatenate


def stack(x, axis=0):
    """Join a sequence of same-shape tensors along a new axis."""
    values = [np.asarray(data_of(item)) for item in x]
    out = np.stack(values, axis=axis)
    if not any(needs_grad(item) for item in x):
        return Tensor(out)
    count = len(values)
    return record(
        out, tuple(x), lambda g: tuple(np.squeeze(part, axis) for part in np.split(g, count, axis=axis))
    )


def split(x, indices_or_sections, axis=0):
    """Split along `axis` into equal sections, or at the given indices."""
    a = np.asarray(data_of(x))
    pieces = np.split(a, indices_or_sections, axis=axis)
    starts = np.cumsum([0] + [p.shape[axis] for p in pieces[:-1]])
    results = []
    for start, piece in zip(starts, pieces):
        index = [slice(None)] * a.ndim
        index[axis] = slice(int(start), int(start) + piece.shape[axis])
        results.append(get_item(x, tuple(index)))
    return results


def unstack(x, num=None, axis=0):
    a = np.asarray(data_of(x))
    return [squeeze(part, axis) for part in split(x, a.shape[axis], axis=axis)]


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def get_item(x, index):
    """`x[index]`: slicing, integer indexing and NumPy-style fancy indexing."""
    a = np.asarray(data_of(x))
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    out = a[index]

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        if _is_basic_index(index):
            grad[index] = g
        else:
            np.add.at(grad, index, g)  # a repeated index collects every gradient
        return (grad,)

    return _unary(x, out, backward)


def take(x, indices, axis=None):
    """Gather entries of `x` at `indices` along `axis` (an embedding lookup)."""
    a = np.asarray(data_of(x))
    idx = np.asarray(data_of(indices)).astype(np.int64)
    out = np.take(a, idx, axis=axis)

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        if axis is None:
            np.add.at(grad.reshape(-1), idx, g)
        else:
            ax = axis % a.ndim
            moved = np.moveaxis(grad, ax, 0)
            np.add.at(moved, idx, np.moveaxis(g, list(range(ax, ax + idx.ndim)), list(range(idx.ndim))))
        return (grad,)

    return _unary(x, out, backward)


gather = take


def take_along_axis(x, indices, axis=None):
    """Pick entries of `x` along `axis` at matching `indices` (e.g. the logit of each label)."""
    a = np.asarray(data_of(x))
    idx = np.asarray(data_of(indices)).astype(np.int64)
    if axis is None:
        return take_along_axis(reshape(x, (-1,)), idx.reshape(-1), axis=0)
    out = np.take_along_axis(a, idx, axis=axis)
    ax = axis % a.ndim
    idx = np.broadcast_to(idx, out.shape)  # indices may broadcast over the other axes

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        if idx.shape[ax] == 1:
            # One pick per row along `axis`: no index repeats, a plain scatter will do.
            np.put_along_axis(grad, idx, g, axis=ax)
        else:
            grid = list(np.indices(idx.shape, sparse=True))
            grid[ax] = idx
            np.add.at(grad, tuple(grid), g)
        return (grad,)

    return _unary(x, out, backward)


_INDEX_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad `x` with `pad_width` values before and after each axis.

    `pad_width` is an int, a (before, after) pair for every axis, or one
    (before, after) pair per axis. Gradients exist for the modes that copy
    values: 'constant', 'edge', 'reflect', 'symmetric' and 'wrap'.
    """
    a = np.asarray(data_of(x))
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    widths = [(int(before), int(after)) for before, after in widths]
    if mode == "constant":
        out = np.pad(a, widths, mode="constant", constant_values=constant_values or 0)
        index = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape))
        return _unary(x, out, lambda g: (g[index],))
    out = np.pad(a, widths, mode=mode)
    if not needs_grad(x):
        return Tensor(out)
    if mode not in _INDEX_PAD_MODES:
        raise NotImplementedError(
            f"ops.pad: gradients exist for mode 'constant', {', '.join(map(repr, _INDEX_PAD_MODES))}; "
            f"got mode={mode!r}."
        )
    # Pad the positions instead of the values: each output entry then names
    # the input entry it copies, and the gradient is summed back onto it.
    source = np.pad(np.arange(a.size).reshape(a.shape), widths, mode=mode)

    def backward(g):
        flat = np.bincount(source.ravel(), weights=g.ravel(), minlength=a.size)
        return (flat.reshape(a.shape).astype(g.dtype, copy=False),)

    return record(out, (x,), backward)


def slice_(inputs, start_indices, shape):
    """`ops.slice`: the block of `inputs` at `start_indices` with the given `shape`.

    (Named `slice_` here so this module can still use Python's `slice`.)
    """
    starts = [int(i) for i in np.asarray(data_of(start_indices)).reshape(-1)]
    sizes = [int(n) for n in np.asarray(data_of(shape)).reshape(-1)]
    index = tuple(slice(start, start + size) for start, size in zip(starts, sizes))
    return get_item(inputs, index)


slice_.__name__ = slice_.__qualname__ = "slice"


def flip(x, axis=None):
    """Reverse the order of the entries along `axis` (all axes when None)."""
    a = np.asarray(data_of(x))
    return _unary(x, np.flip(a, axis=axis), lambda g: (np.flip(g, axis=axis),))
