"""Convolution as one matrix product, and its gradients.

A convolution slides a small kernel over an image and, at every position,
takes the dot product of the kernel with the window of pixels under it.
Written as loops that is six nested `for`s; written for NumPy it is two steps:

1. **unfold** ("im2col"): lay every window out as one row of a matrix
   `patches` of shape (positions, kernel_height * kernel_width * channels).
   `sliding_windows` makes a strided *view* of all windows (no copy) and one
   reshape copies it into that matrix;
2. **multiply**: `outputs = patches @ kernel.reshape(-1, filters)` — one BLAS
   call computes every output of every position and every filter.

The backward pass is the same two steps run in reverse:

- gradient of the kernel: `patches.T @ grad_outputs` (one matrix product);
- gradient of the input: multiplying `grad_outputs` by each kernel tap's
  (filters, channels) matrix gives, for every window, the gradient of the
  pixel that tap read; **fold** (`add_windows_back`, "col2im") adds those
  back where they were read. Windows overlap, so a pixel collects the
  gradient of every window it appears in. The fold loops over the kernel
  taps (9 for a 3x3 kernel), each a vectorized slice-add over the whole
  batch — never over pixels.

A transposed convolution is the same pair with the roles swapped: its forward
pass is multiply-then-fold, its backward pass unfold-then-multiply.

    >>> import numpy as np
    >>> from mlkit import ops
    >>> from mlkit.ops.conv import conv
    >>> images = ops.ones((1, 4, 4, 1))           # (batch, height, width, channels)
    >>> kernel = ops.ones((3, 3, 1, 1))           # (height, width, in, out)
    >>> conv(images, kernel).numpy()[0, :, :, 0]  # each output sums a 3x3 window
    array([[9., 9.],
           [9., 9.]], dtype=float32)

All functions work on any number of spatial axes (1 for sequences, 2 for
images); internally everything is channels_last, and channels_first inputs
are viewed that way without a copy. The helpers for windows and padding are
shared with `mlkit.ops.pooling`.
"""

import functools
import itertools
import math

import numpy as np

from mlkit.ops.array import reshape
from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor

DATA_FORMATS = ("channels_last", "channels_first")


# -- arguments ----------------------------------------------------------------
def standardize_tuple(value, rank, name):
    """`value` (an int, or `rank` ints) as a tuple of `rank` positive ints."""
    if type(value) is tuple and len(value) == rank and all(type(v) is int and v >= 1 for v in value):
        return value  # already standard (the common case inside a layer)
    values = (value,) * rank if isinstance(value, (int, np.integer)) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    is_int = [isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values or ()]
    if values is None or len(values) != rank or not all(is_int):
        raise ValueError(
            f"The `{name}` argument must be an int or a tuple of {rank} ints. Received: {name}={value!r}."
        )
    if any(v < 1 for v in values):
        raise ValueError(f"The `{name}` argument must hold values >= 1. Received: {name}={value!r}.")
    return tuple(int(v) for v in values)


def standardize_padding(padding, allow_causal=False):
    """'valid' or 'same' (or 'causal' for 1-d convolutions), any letter case."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. Received: padding={padding!r}.")
    return name


def standardize_data_format(data_format):
    """'channels_last' (the default, for None) or 'channels_first'."""
    if data_format is None:
        return "channels_last"
    name = data_format.lower() if isinstance(data_format, str) else data_format
    if name not in DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {DATA_FORMATS}. "
            f"Received: data_format={data_format!r}."
        )
    return name


# -- sizes and padding --------------------------------------------------------
def output_length(length, window, stride, dilation, padding):
    """How many window positions fit along an axis of `length` (None stays None).

    'valid' keeps only windows that lie inside the input; 'same' and 'causal'
    pad so that there is one window per `stride` input positions.
    """
    if length is None:
        return None
    if padding == "valid":
        reach = dilation * (window - 1) + 1  # the span a dilated window covers
        return (length - reach) // stride + 1
    return (length - 1) // stride + 1


def transpose_output_length(length, window, stride, dilation, padding):
    """The length a transposed convolution produces from an axis of `length`.

    It is the length of an input that a convolution with these settings would
    turn into `length` positions ('same': length * stride; 'valid': one more
    window reach).
    """
    if length is None:
        return None
    reach = dilation * (window - 1) + 1
    if padding == "valid":
        return (length - 1) * stride + max(reach, stride)
    return length * stride


def padding_amounts(length, window, stride, dilation, padding):
    """(before, after): how many zeros to add on each side of an axis.

    'same' splits the padding evenly, the extra one going after; 'causal'
    puts it all before, so an output never sees a later input.
    """
    if padding == "valid":
        return (0, 0)
    reach = dilation * (window - 1) + 1
    if padding == "causal":
        return (reach - 1, 0)
    total = max((output_length(length, window, stride, dilation, padding) - 1) * stride + reach - length, 0)
    return (total // 2, total - total // 2)


def pad_spatial(x, pads, value=0.0):
    """`x` (batch, *spatial, ...) with `pads[i]` = (before, after) added on spatial axis i."""
    if not any(before or after for before, after in pads):
        return x
    shape = (x.shape[0],) + tuple(n + b + a for n, (b, a) in zip(x.shape[1:], pads)) + x.shape[1 + len(pads):]
    padded = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    padded[inside(x.shape, pads)] = x
    return padded


def inside(shape, pads):
    """The index of the original values within a padded array."""
    return (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(shape[1:], pads))


# -- windows: unfold and fold ---------------------------------------------------
def sliding_windows(padded, window, strides, dilation, out_sizes):
    """A read-only view of every window: shape (batch, *out_sizes, *window, channels).

    Element [b, i, j, u, v, c] is padded[b, i*stride + u*dilation, j*stride +
    v*dilation, c]. Nothing is copied: the view walks the same memory with
    larger steps (NumPy checks that it stays inside the array).
    """
    padded = np.ascontiguousarray(padded)
    steps = padded.strides
    spatial_steps = steps[1:1 + len(window)]
    shape = (padded.shape[0],) + tuple(out_sizes) + tuple(window) + padded.shape[1 + len(window):]
    view_strides = (
        (steps[0],)
        + tuple([s * step for s, step in zip(strides, spatial_steps)])
        + tuple([d * step for d, step in zip(dilation, spatial_steps)])
        + steps[1 + len(window):]
    )
    windows = np.ndarray(shape, padded.dtype, buffer=padded, strides=view_strides)
    windows.flags.writeable = False
    return windows


def window_positions(offset, strides, dilation, out_sizes):
    """Where one kernel tap reads, for every window at once: a tuple of slices.

    The tap at `offset` (e.g. (0, 2), top-right of a 3x3 kernel) of window i
    reads input position i*stride + offset*dilation, so across all windows it
    reads a strided slice `start : stop : stride` of each spatial axis.
    """
    return (slice(None),) + tuple(
        [slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offset, dilation, strides, out_sizes)]
    )


@functools.lru_cache(maxsize=256)
def taps_and_positions(window, strides, dilation, out_sizes):
    """[(offset, window_positions(offset, ...))] for every tap of the window, in row-major order.

    Cached: a training loop asks for the same geometry at every step.
    """
    offsets = itertools.product(*[range(k) for k in window])
    return [(offset, window_positions(offset, strides, dilation, out_sizes)) for offset in offsets]


def add_windows_back(values_by_offset, padded_shape, strides, dilation, out=None):
    """The adjoint of `sliding_windows` ("col2im"): sum every window into place.

    `values_by_offset[offset]` holds, for every window (batch, *out_sizes,
    ...), the value that belongs to kernel tap `offset`; it is added where
    that tap reads (`window_positions`). Positions covered by several windows
    receive the sum. One slice-add per kernel tap, over the whole batch.
    The sum goes into `out` (of `padded_shape`) when given, else a new array.
    """
    rank = len(strides)
    window = values_by_offset.shape[:rank]
    out_sizes = values_by_offset.shape[rank + 1:2 * rank + 1]
    if out is None:
        total = np.zeros(padded_shape, dtype=values_by_offset.dtype)
    else:
        total = out
        total[...] = 0
    for offset, positions in taps_and_positions(window, tuple(strides), tuple(dilation), out_sizes):
        total[positions] += values_by_offset[offset]
    return total


# -- small helpers ---------------------------------------------------------------
def move_axis(a, source, destination):
    """`np.moveaxis` (a view) without its argument checks, which cost more than
    the move itself on the small arrays of a training step."""
    source, destination = source % a.ndim, destination % a.ndim
    order = [axis for axis in range(a.ndim) if axis != source]
    order.insert(destination, source)
    return a.transpose(order)


def _channels_last(x, data_format):
    """`x` viewed as channels_last (a view, no copy)."""
    return x if data_format == "channels_last" else move_axis(x, 1, -1)


def _restore_format(x, data_format):
    return x if data_format == "channels_last" else move_axis(x, -1, 1)


def _check_ranks(op_name, x, kernel):
    if x.ndim != kernel.ndim or x.ndim < 3:
        raise ValueError(
            f"{op_name}: the inputs need one batch axis, {kernel.ndim - 2} spatial axis(es) and a "
            f"channel axis to match a kernel of shape {kernel.shape}, but they have shape {x.shape}."
        )


@functools.lru_cache(maxsize=256)
def output_sizes_and_pads(spatial, window, strides, dilation, padding, op_name):
    """(out_sizes, pads) for these shapes; cached, as a training loop asks the same each step."""
    geometry = list(zip(spatial, window, strides, dilation))
    out_sizes = tuple(output_length(n, k, s, d, padding) for n, k, s, d in geometry)
    if min(out_sizes) <= 0:
        raise ValueError(
            f"{op_name}: the input's spatial shape {tuple(spatial)} is smaller than the window "
            f"{tuple(window)} (dilation_rate={tuple(dilation)}), so padding='valid' leaves no output. "
            "Use larger inputs, a smaller window or padding='same'."
        )
    pads = tuple(padding_amounts(n, k, s, d, padding) for n, k, s, d in geometry)
    return out_sizes, pads


# -- convolution --------------------------------------------------------------
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution (a cross-correlation, as in every deep-learning library).

    `inputs` (batch, *spatial, channels) and `kernel` (*window, channels //
    groups, filters). When the kernel holds fewer input channels than the
    inputs, the channels are split into `groups` that are convolved
    separately (groups = channels // kernel.shape[-2]).

    mlkit extension: padding='causal' is accepted for 1-d inputs (Keras's
    Conv1D pads the inputs itself and calls the op with 'valid').
    """
    x, w = np.asarray(data_of(inputs)), np.asarray(data_of(kernel))
    _check_ranks("ops.conv", x, w)
    rank = w.ndim - 2
    data_format = standardize_data_format(data_format)
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding, allow_causal=rank == 1)

    x = _channels_last(x, data_format)
    batch, *spatial, channels = x.shape
    window, (group_channels, filters) = w.shape[:-2], w.shape[-2:]
    if channels % group_channels or filters % (channels // group_channels):
        raise ValueError(
            f"ops.conv: the inputs have {channels} channels but the kernel of shape {w.shape} expects "
            f"{group_channels} per group; the channels ({channels}) must be a multiple of the "
            f"kernel's input channels and the filters ({filters}) a multiple of the groups."
        )
    groups = channels // group_channels
    out_sizes, pads = output_sizes_and_pads(tuple(spatial), window, strides, dilation, padding, "ops.conv")
    positions = batch * math.prod(out_sizes)
    window_size = math.prod(window)

    # With groups=1 (the usual case) the group axis below has size 1 and moving
    # it around is free; with groups > 1 each group gets its own matrices.
    # Unfold: one row per output position, split by group -> (groups, positions, window values).
    padded = pad_spatial(x, pads)
    grouped_padded_shape = padded.shape[:-1] + (groups, group_channels)
    windows = sliding_windows(padded, window, strides, dilation, out_sizes)
    windows = windows.reshape(windows.shape[:-1] + (groups, group_channels))
    patches = move_axis(windows, -2, 0).reshape(groups, positions, window_size * group_channels)
    # The kernel as one matrix per group: (groups, window values, filters per group).
    matrices = move_axis(w.reshape(window_size, group_channels, groups, filters // groups), 2, 0)
    matrices = matrices.reshape(groups, window_size * group_channels, filters // groups)

    products = np.matmul(patches, matrices)  # the one BLAS call
    out = move_axis(products, 0, 1).reshape((batch,) + out_sizes + (filters,))
    out = _restore_format(out, data_format)

    input_needs_grad, kernel_needs_grad = needs_grad(inputs), needs_grad(kernel)
    if not (input_needs_grad or kernel_needs_grad):
        return Tensor(out)

    def backward(grad):
        grad = _channels_last(grad, data_format)
        grad = move_axis(grad.reshape(positions, groups, filters // groups), 1, 0)
        grad_inputs = grad_kernel = None
        if kernel_needs_grad:
            grad_matrices = np.matmul(np.swapaxes(patches, 1, 2), grad)
            grad_kernel = move_axis(
                grad_matrices.reshape(groups, window_size, group_channels, filters // groups), 0, 2
            ).reshape(w.shape)
        if input_needs_grad:
            # One (positions, channels) gradient per kernel tap, then each tap's
            # gradient goes back where that tap read from.
            taps = matrices.reshape(groups, window_size, group_channels, filters // groups)
            taps = np.ascontiguousarray(np.swapaxes(taps, -1, -2))  # small; contiguous is faster
            by_offset = np.matmul(grad[:, None], taps)  # (groups, taps, positions, group_channels)
            by_offset = by_offset.reshape((groups,) + window + (batch,) + out_sizes + (group_channels,))
            by_offset = move_axis(by_offset, 0, -2)  # (*window, batch, *out_sizes, groups, group_channels)
            grad_padded = add_windows_back(by_offset, grouped_padded_shape, strides, dilation)
            grad_inputs = grad_padded[inside(x.shape, pads)].reshape(x.shape)
            grad_inputs = _restore_format(grad_inputs, data_format)
        return grad_inputs, grad_kernel

    return record(out, (inputs, kernel), backward)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Convolve every input channel with its own `depth_multiplier` filters.

    `kernel` has shape (*window, channels, depth_multiplier); output channel
    `c * depth_multiplier + m` is channel c convolved with filter m. It is a
    grouped convolution with one group per channel.
    """
    w = np.asarray(data_of(kernel))
    window, (channels, multiplier) = w.shape[:-2], w.shape[-2:]
    one_channel_per_group = reshape(kernel, window + (1, channels * multiplier))
    return conv(inputs, one_channel_per_group, strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None, dilation_rate=1
):
    """A depthwise convolution followed by a 1x1 convolution that mixes the channels."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


# -- transposed convolution -----------------------------------------------------
def conv_transpose(
    inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None, dilation_rate=1
):
    """The transposed convolution: the adjoint of `conv`, as used to upsample.

    `kernel` has shape (*window, filters, channels) — note the order: it is
    the kernel of a convolution that would map `filters` channels back to the
    inputs' `channels`. Every input value spreads a weighted copy of the kernel
    into the output; overlapping copies add up.
    """
    x, w = np.asarray(data_of(inputs)), np.asarray(data_of(kernel))
    _check_ranks("ops.conv_transpose", x, w)
    if output_padding is not None:
        raise NotImplementedError(
            "ops.conv_transpose: output_padding is not available in mlkit; leave it None "
            "(the output size then follows from strides and padding)."
        )
    rank = w.ndim - 2
    data_format = standardize_data_format(data_format)
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding)

    x = _channels_last(x, data_format)
    batch, *spatial, channels = x.shape
    window, (filters, kernel_channels) = w.shape[:-2], w.shape[-2:]
    if kernel_channels != channels:
        raise ValueError(
            f"ops.conv_transpose: the inputs have {channels} channels but the kernel of shape "
            f"{w.shape} expects {kernel_channels} (its last axis)."
        )
    out_sizes = tuple(
        transpose_output_length(n, k, s, d, padding) for n, k, s, d in zip(spatial, window, strides, dilation)
    )
    # The padding of the convolution this one is the transpose of (which maps out_sizes -> spatial).
    pads = tuple(
        padding_amounts(n, k, s, d, padding) for n, k, s, d in zip(out_sizes, window, strides, dilation)
    )
    padded_shape = (batch,) + tuple(n + b + a for n, (b, a) in zip(out_sizes, pads)) + (filters,)
    matrix = w.reshape(-1, channels)  # (window values, channels)

    # Multiply, then fold: each input position paints one window of the output.
    tap_matrices = np.swapaxes(w.reshape(-1, filters, channels), 1, 2)  # (taps, channels, filters)
    by_offset = np.matmul(x.reshape(-1, channels), tap_matrices)  # (taps, positions, filters)
    by_offset = by_offset.reshape(window + (batch, *spatial, filters))
    out = add_windows_back(by_offset, padded_shape, strides, dilation)
    out = out[inside((batch,) + out_sizes, pads)]
    out = _restore_format(out, data_format)

    input_needs_grad, kernel_needs_grad = needs_grad(inputs), needs_grad(kernel)
    if not (input_needs_grad or kernel_needs_grad):
        return Tensor(out)

    def backward(grad):
        # Unfold the output gradient exactly as `conv` unfolds its input.
        grad = pad_spatial(_channels_last(grad, data_format), pads)
        windows = sliding_windows(grad, window, strides, dilation, tuple(spatial))
        patches = windows.reshape(-1, matrix.shape[0])
        grad_inputs = grad_kernel = None
        if input_needs_grad:
            grad_inputs = _restore_format((patches @ matrix).reshape(x.shape), data_format)
        if kernel_needs_grad:
            grad_kernel = (patches.T @ x.reshape(-1, channels)).reshape(w.shape)
        return grad_inputs, grad_kernel

    return record(out, (inputs, kernel), backward)
