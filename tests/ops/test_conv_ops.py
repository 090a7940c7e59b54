"""mlkit/ops/conv.py: convolutions against plain loops, and their gradients.

The reference implementations below are written the slow, obvious way — one
output value at a time — with the padding rules spelled out independently of
the library ('same' pads (window reach - 1) in total when the stride is 1,
the smaller half before; 'causal' pads everything before).
"""

import itertools
import math

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.ops.conv import (
    add_windows_back,
    conv,
    conv_transpose,
    depthwise_conv,
    output_length,
    pad_spatial,
    padding_amounts,
    separable_conv,
    sliding_windows,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
    transpose_output_length,
)
from mlkit.utils.gradient_check import check_gradients


# -- references -----------------------------------------------------------------
def reference_pads(length, window, stride, dilation, padding):
    reach = dilation * (window - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return reach - 1, 0
    outputs = math.ceil(length / stride)
    total = max((outputs - 1) * stride + reach - length, 0)
    return total // 2, total - total // 2


def naive_conv(x, kernel, strides, padding, dilation):
    """channels_last N-d convolution, groups = channels // kernel.shape[-2], by loops."""
    batch, *spatial, channels = x.shape
    window, (group_channels, filters) = kernel.shape[:-2], kernel.shape[-2:]
    groups = channels // group_channels
    pads = [reference_pads(n, k, s, d, padding) for n, k, s, d in zip(spatial, window, strides, dilation)]
    out_sizes = [
        (n + before + after - d * (k - 1) - 1) // s + 1
        for n, (before, after), k, s, d in zip(spatial, pads, window, strides, dilation)
    ]
    out = np.zeros([batch, *out_sizes, filters])
    for b in range(batch):
        for position in itertools.product(*[range(n) for n in out_sizes]):
            for f in range(filters):
                group = f // (filters // groups)
                channel_slice = slice(group * group_channels, (group + 1) * group_channels)
                total = 0.0
                for tap in itertools.product(*[range(k) for k in window]):
                    source = [
                        p * s + t * d - before for p, s, t, d, (before, _) in zip(position, strides, tap, dilation, pads)
                    ]
                    if all(0 <= i < n for i, n in zip(source, spatial)):
                        total += x[(b, *source, channel_slice)] @ kernel[(*tap, slice(None), f)]
                out[(b, *position, f)] = total
    return out


def naive_conv_transpose(x, kernel, strides, padding, dilation):
    """channels_last transposed convolution by loops: every input stamps the kernel."""
    batch, *spatial, channels = x.shape
    window, filters = kernel.shape[:-2], kernel.shape[-2]
    reach = [d * (k - 1) + 1 for k, d in zip(window, dilation)]
    if padding == "same":
        out_sizes = [n * s for n, s in zip(spatial, strides)]
    else:
        out_sizes = [(n - 1) * s + max(r, s) for n, s, r in zip(spatial, strides, reach)]
    pads = [reference_pads(n, k, s, d, padding) for n, k, s, d in zip(out_sizes, window, strides, dilation)]
    out = np.zeros([batch, *out_sizes, filters])
    for b in range(batch):
        for position in itertools.product(*[range(n) for n in spatial]):
            for tap in itertools.product(*[range(k) for k in window]):
                target = [
                    p * s + t * d - before for p, s, t, d, (before, _) in zip(position, strides, tap, dilation, pads)
                ]
                if all(0 <= i < n for i, n in zip(target, out_sizes)):
                    out[(b, *target)] += kernel[tap] @ x[(b, *position)]
    return out


def channels_first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def channels_last(x):
    return np.moveaxis(x, 1, -1)


# (input shape, kernel shape, strides, padding, dilation): 1-d and 2-d, with groups
CONV_CASES = [
    ((2, 7, 3), (3, 3, 4), (1,), "valid", (1,)),
    ((2, 7, 3), (2, 3, 2), (2,), "same", (1,)),
    ((2, 8, 4), (3, 2, 4), (1,), "causal", (2,)),
    ((2, 7, 4), (3, 2, 6), (3,), "same", (1,)),  # 2 groups
    ((2, 5, 6, 3), (3, 3, 3, 4), (1, 1), "valid", (1, 1)),
    ((2, 5, 6, 3), (3, 2, 3, 2), (2, 1), "same", (1, 1)),
    ((1, 7, 6, 2), (2, 3, 2, 3), (1, 1), "same", (2, 1)),
    ((2, 6, 5, 4), (3, 3, 1, 4), (2, 2), "valid", (1, 1)),  # depthwise-like: 4 groups
    ((1, 6, 6, 4), (2, 2, 2, 4), (3, 2), "same", (1, 1)),  # 2 groups, even kernel
]


def case_id(case):
    shape, kernel_shape, strides, padding, dilation = case
    groups = shape[-1] // kernel_shape[-2]
    return f"{len(shape) - 2}d-k{kernel_shape[:-2]}-s{strides}-{padding}-d{dilation}-groups{groups}"


# -- convolution ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
def test_conv_matches_loops_in_both_data_formats(case):
    shape, kernel_shape, strides, padding, dilation = case
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    expected = naive_conv(x, kernel, strides, padding, dilation)
    got = conv(x, kernel, strides, padding, "channels_last", dilation).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)
    got_first = conv(channels_first(x), kernel, strides, padding, "channels_first", dilation).numpy()
    np.testing.assert_allclose(channels_last(got_first), expected, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
def test_conv_gradients(case):
    shape, kernel_shape, strides, padding, dilation = case
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    check_gradients(lambda a, k: conv(a, k, strides, padding, "channels_last", dilation), [x, kernel])


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[5], CONV_CASES[8]], ids=case_id)
def test_conv_gradients_channels_first(case):
    shape, kernel_shape, strides, padding, dilation = case
    rng = np.random.default_rng(2)
    x, kernel = channels_first(rng.normal(size=shape)), rng.normal(size=kernel_shape)
    check_gradients(lambda a, k: conv(a, k, strides, padding, "channels_first", dilation), [x, kernel])


def test_conv_keeps_float32_and_records_one_node():
    x = ops.ones((2, 5, 5, 3))
    kernel = ops.convert_to_tensor(np.ones((3, 3, 3, 4), dtype="float32"))
    with GradientTape() as tape:
        tape.watch(kernel)
        out = conv(x, kernel, padding="same")
        total = ops.sum(out)
    assert out.dtype == "float32"
    assert out.parents == (x, kernel)  # one node, whose parents are the two inputs
    grad = tape.gradient(total, kernel)
    # The centre tap sees all 25 pixels of both images; a corner tap sees 16.
    assert grad.numpy()[1, 1, 0, 0] == 50.0
    assert grad.numpy()[0, 0, 0, 0] == 32.0


def test_conv_input_gradient_skipped_when_not_needed():
    x = np.ones((1, 4, 4, 1), dtype="float32")
    kernel = ops.convert_to_tensor(np.ones((3, 3, 1, 1), dtype="float32"))
    with GradientTape() as tape:
        tape.watch(kernel)
        out = conv(x, kernel)
    input_grad, kernel_grad = out.grad_fn(np.ones(out.shape, dtype="float32"))
    assert input_grad is None
    np.testing.assert_array_equal(kernel_grad, np.full((3, 3, 1, 1), 4.0))


def test_conv_rejects_mismatched_channels_and_small_inputs():
    with pytest.raises(ValueError, match="5 channels"):
        conv(np.ones((1, 4, 4, 5)), np.ones((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="smaller than the window"):
        conv(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="batch axis"):
        conv(np.ones((4, 4, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="padding"):
        conv(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), padding="causal")  # only for 1-d


# -- the building blocks -----------------------------------------------------------------
def test_output_length_and_padding_follow_the_keras_rules():
    assert output_length(8, 3, 1, 1, "valid") == 6
    assert output_length(8, 3, 2, 1, "valid") == 3
    assert output_length(8, 3, 1, 2, "valid") == 4  # a dilated 3-tap kernel reaches 5
    assert output_length(7, 3, 2, 1, "same") == 4  # ceil(7 / 2)
    assert output_length(None, 3, 2, 1, "same") is None
    assert padding_amounts(8, 4, 1, 1, "same") == (1, 2)  # the extra zero goes after
    assert padding_amounts(8, 3, 1, 2, "causal") == (4, 0)
    assert padding_amounts(8, 3, 1, 1, "valid") == (0, 0)
    assert transpose_output_length(4, 3, 2, 1, "same") == 8
    assert transpose_output_length(4, 3, 2, 1, "valid") == 9
    assert transpose_output_length(4, 1, 3, 1, "valid") == 12  # stride wider than the kernel


def test_add_windows_back_is_the_adjoint_of_sliding_windows():
    rng = np.random.default_rng(3)
    padded = rng.normal(size=(2, 7, 6, 3))
    window, strides, dilation, out_sizes = (3, 2), (2, 1), (1, 2), (3, 4)
    windows = sliding_windows(padded, window, strides, dilation, out_sizes)  # (batch, *out, *window, channels)
    values = rng.normal(size=windows.shape)
    by_offset = np.moveaxis(values, (3, 4), (0, 1))  # (*window, batch, *out, channels)
    folded = add_windows_back(by_offset, padded.shape, strides, dilation)
    np.testing.assert_allclose(np.sum(windows * values), np.sum(padded * folded))


def test_pad_spatial_pads_only_the_spatial_axes():
    x = np.ones((2, 3, 4, 5))
    padded = pad_spatial(x, ((1, 2), (0, 1)), value=-1.0)
    assert padded.shape == (2, 6, 5, 5)
    assert padded[0, 0, 0, 0] == -1.0 and padded[0, 1, 0, 0] == 1.0
    assert pad_spatial(x, ((0, 0), (0, 0))) is x


def test_argument_standardization():
    assert standardize_tuple(3, 2, "kernel_size") == (3, 3)
    assert standardize_tuple([2, 1], 2, "strides") == (2, 1)
    assert standardize_padding("SAME") == "same"
    assert standardize_data_format(None) == "channels_last"
    with pytest.raises(ValueError, match="kernel_size"):
        standardize_tuple((3, 3, 3), 2, "kernel_size")
    with pytest.raises(ValueError, match="strides"):
        standardize_tuple(0, 2, "strides")
    with pytest.raises(ValueError, match="data_format"):
        standardize_data_format("channels_middle")


# -- transposed convolution ---------------------------------------------------------
TRANSPOSE_CASES = [
    ((2, 4, 3), (3, 2, 3), (2,), "same", (1,)),
    ((2, 4, 3), (2, 2, 3), (3,), "valid", (1,)),
    ((2, 3, 4, 2), (3, 3, 3, 2), (2, 2), "same", (1, 1)),
    ((1, 3, 3, 2), (3, 2, 2, 2), (2, 1), "valid", (1, 1)),
    ((1, 3, 4, 2), (2, 2, 3, 2), (3, 3), "same", (1, 1)),
    ((1, 4, 3, 2), (3, 2, 2, 2), (1, 1), "valid", (2, 1)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=case_id)
def test_conv_transpose_matches_loops_and_is_the_adjoint_of_conv(case):
    shape, kernel_shape, strides, padding, dilation = case
    rng = np.random.default_rng(4)
    x, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    got = conv_transpose(x, kernel, strides, padding, None, "channels_last", dilation).numpy()
    np.testing.assert_allclose(got, naive_conv_transpose(x, kernel, strides, padding, dilation), atol=1e-12)
    got_first = conv_transpose(channels_first(x), kernel, strides, padding, None, "channels_first", dilation)
    np.testing.assert_allclose(channels_last(got_first.numpy()), got, atol=1e-12)
    # <conv(y), x> == <y, conv_transpose(x)> for any y of the output's shape.
    y = rng.normal(size=got.shape)
    forward = conv(y, kernel, strides, padding, "channels_last", dilation).numpy()
    np.testing.assert_allclose(np.sum(forward * x), np.sum(y * got))


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=case_id)
def test_conv_transpose_gradients(case):
    shape, kernel_shape, strides, padding, dilation = case
    rng = np.random.default_rng(5)
    x, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    check_gradients(
        lambda a, k: conv_transpose(a, k, strides, padding, None, "channels_last", dilation), [x, kernel]
    )


def test_conv_transpose_gradients_channels_first():
    rng = np.random.default_rng(6)
    x, kernel = channels_first(rng.normal(size=(1, 3, 3, 2))), rng.normal(size=(3, 3, 2, 2))
    check_gradients(lambda a, k: conv_transpose(a, k, 2, "same", data_format="channels_first"), [x, kernel])


def test_conv_transpose_errors():
    with pytest.raises(ValueError, match="3 channels"):
        conv_transpose(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 4)))
    with pytest.raises(NotImplementedError, match="output_padding"):
        conv_transpose(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 2)), 2, output_padding=1)


# -- depthwise and separable ----------------------------------------------------------
def naive_depthwise(x, kernel, strides, padding, dilation):
    """Each channel c convolved with its own filters kernel[..., c, :]; outputs c-major."""
    outputs = []
    for c in range(x.shape[-1]):
        outputs.append(naive_conv(x[..., c:c + 1], kernel[..., c:c + 1, :], strides, padding, dilation))
    return np.concatenate(outputs, axis=-1)


@pytest.mark.parametrize(
    "strides, padding, dilation",
    [((1, 1), "valid", (1, 1)), ((2, 1), "same", (1, 1)), ((1, 1), "same", (1, 2))],
)
def test_depthwise_conv_matches_loops_and_gradients(strides, padding, dilation):
    rng = np.random.default_rng(7)
    x, kernel = rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(3, 2, 3, 2))
    got = depthwise_conv(x, kernel, strides, padding, None, dilation).numpy()
    np.testing.assert_allclose(got, naive_depthwise(x, kernel, strides, padding, dilation), atol=1e-12)
    check_gradients(lambda a, k: depthwise_conv(a, k, strides, padding, None, dilation), [x[:1], kernel])


def test_separable_conv_is_depthwise_then_pointwise():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 5, 5, 3))
    depthwise, pointwise = rng.normal(size=(3, 3, 3, 2)), rng.normal(size=(1, 1, 6, 4))
    got = separable_conv(x, depthwise, pointwise, 1, "same").numpy()
    depthwise_out = naive_depthwise(x, depthwise, (1, 1), "same", (1, 1))
    expected = naive_conv(depthwise_out, pointwise, (1, 1), "valid", (1, 1))
    np.testing.assert_allclose(got, expected, atol=1e-12)
    check_gradients(lambda a, d, p: separable_conv(a, d, p, 2, "valid"), [x[:1], depthwise, pointwise])
