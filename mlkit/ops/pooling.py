"""Max and average pooling over windows, with their gradients.

Pooling summarizes each window of an image by one number: its largest value
(max pooling) or its mean (average pooling). The trick that keeps it fast is
to loop over the positions *inside* a window, not over the windows: the
top-left pixels of all 2x2 windows form one strided slice `x[:, 0::2, 0::2]`,
the top-right pixels `x[:, 0::2, 1::2]`, and so on. So

    max pooling     = the element-wise maximum of those slices (3 np.maximum),
    average pooling = their sum divided by the window size,

each a vectorized operation over the whole batch. (This beats reshaping to
(batch, rows, 2, columns, 2, channels) and reducing two axes, which makes
NumPy step through memory in tiny pieces.) `window_positions` from
`mlkit.ops.conv` gives the slice of every window offset, for any pool size,
stride and padding.

Backward, the gradient of a window goes back through the same slices: all of
it to the one input that won the max (the first maximum in the window if
several tie, as in Keras), or an equal share to every input of the average.
Padding ('same') is -inf for max pooling and is left out of the count for
average pooling, so a border window averages only real inputs.

    >>> from mlkit import ops
    >>> from mlkit.ops.pooling import max_pool
    >>> x = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
    >>> max_pool(x, 2).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
"""

import math

import numpy as np

from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.conv import (
    _channels_last,
    _restore_format,
    output_sizes_and_pads,
    inside,
    pad_spatial,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
    taps_and_positions,
)
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor


def _prepare(op_name, inputs, pool_size, strides, padding, data_format, fill):
    """Check the arguments; return the channels_last padded input and the window geometry."""
    x = np.asarray(data_of(inputs))
    rank = x.ndim - 2
    if rank < 1:
        raise ValueError(
            f"{op_name}: the inputs need a batch axis, at least one spatial axis and a channel "
            f"axis, but they have shape {x.shape}."
        )
    pool_size = standardize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides")
    padding, data_format = standardize_padding(padding), standardize_data_format(data_format)
    x = _channels_last(x, data_format)
    out_sizes, pads = output_sizes_and_pads(x.shape[1:-1], pool_size, strides, (1,) * rank, padding, op_name)
    padded = pad_spatial(x, pads, fill)
    offsets = [positions for _, positions in taps_and_positions(pool_size, strides, (1,) * rank, out_sizes)]
    return x, padded, offsets, pool_size, strides, pads, out_sizes, data_format


def _overlapping(pool_size, strides):
    """Do neighbouring windows share inputs (a stride smaller than the window)?"""
    return any(s < p for s, p in zip(strides, pool_size))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The largest value of each window. `strides` defaults to `pool_size`."""
    x, padded, offsets, pool_size, strides, pads, out_sizes, data_format = _prepare(
        "ops.max_pool", inputs, pool_size, strides, padding, data_format, -np.inf
    )
    out = padded[offsets[0]].copy()
    for where in offsets[1:]:
        np.maximum(out, padded[where], out=out)
    overlapping = _overlapping(pool_size, strides)
    result = _restore_format(out, data_format)
    if not needs_grad(inputs):
        return Tensor(result)

    def backward(grad):
        grad = _channels_last(grad, data_format)
        grad_padded = np.zeros(padded.shape, dtype=grad.dtype)
        unclaimed = None  # windows whose gradient has not been routed yet (None: all of them)
        for index, where in enumerate(offsets):  # in row-major order, so the first maximum wins
            wins = np.equal(padded[where], out)
            if unclaimed is None:
                unclaimed = ~wins
            else:
                wins &= unclaimed
                if index < len(offsets) - 1:
                    unclaimed ^= wins  # wins lie inside unclaimed: this clears them
            if overlapping:
                grad_padded[where] += grad * wins
            else:  # every input lies in one window at most: write, no need to add
                np.multiply(grad, wins, out=grad_padded[where])
        return (_restore_format(grad_padded[inside(x.shape, pads)], data_format),)

    return record(result, (inputs,), backward)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean of each window; with 'same' padding only real inputs are counted."""
    x, padded, offsets, pool_size, strides, pads, out_sizes, data_format = _prepare(
        "ops.average_pool", inputs, pool_size, strides, padding, data_format, 0.0
    )
    total = padded[offsets[0]].copy()
    for where in offsets[1:]:
        total += padded[where]
    overlapping = _overlapping(pool_size, strides)
    counts = _window_counts(x.shape[1:-1], pool_size, strides, pads, out_sizes).astype(x.dtype)
    result = _restore_format(total / counts, data_format)
    if not needs_grad(inputs):
        return Tensor(result)

    def backward(grad):
        share = _channels_last(grad, data_format) / counts
        grad_padded = np.zeros(padded.shape, dtype=share.dtype)
        for where in offsets:
            if overlapping:
                grad_padded[where] += share
            else:  # every input lies in one window at most: write, no need to add
                np.copyto(grad_padded[where], share)
        return (_restore_format(grad_padded[inside(x.shape, pads)], data_format),)

    return record(result, (inputs,), backward)


def _window_counts(spatial, pool_size, strides, pads, out_sizes):
    """How many real (not padded) inputs each window covers.

    A plain number when every window is full; otherwise an array of shape
    (*out_sizes, 1). Along one axis, window i covers [i*stride - before,
    i*stride - before + size) clipped to the input; a window's count is the
    product of those lengths over the axes.
    """
    if not any(before or after for before, after in pads):
        return np.asarray(math.prod(pool_size))
    counts = np.ones((), dtype=np.int64)
    for length, size, stride, (before, _), n in zip(spatial, pool_size, strides, pads, out_sizes):
        start = np.arange(n) * stride - before
        along = np.minimum(start + size, length) - np.maximum(start, 0)
        counts = np.multiply.outer(counts, along)
    return counts[..., None]
