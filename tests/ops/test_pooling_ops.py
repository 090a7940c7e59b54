"""mlkit/ops/pooling.py: max and average pooling against plain loops, and gradients."""

import itertools
import math

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.ops.pooling import average_pool, max_pool
from mlkit.utils.gradient_check import check_gradients


def naive_pool(x, pool_size, strides, padding, mode):
    """channels_last pooling by loops; padded positions are simply skipped."""
    batch, *spatial, channels = x.shape
    if padding == "valid":
        out_sizes = [(n - p) // s + 1 for n, p, s in zip(spatial, pool_size, strides)]
        before = [0] * len(spatial)
    else:
        out_sizes = [math.ceil(n / s) for n, s in zip(spatial, strides)]
        totals = [max((o - 1) * s + p - n, 0) for o, s, p, n in zip(out_sizes, strides, pool_size, spatial)]
        before = [t // 2 for t in totals]
    out = np.zeros([batch, *out_sizes, channels])
    for b in range(batch):
        for position in itertools.product(*[range(n) for n in out_sizes]):
            for c in range(channels):
                values = []
                for tap in itertools.product(*[range(p) for p in pool_size]):
                    source = [o * s + t - pad for o, s, t, pad in zip(position, strides, tap, before)]
                    if all(0 <= i < n for i, n in zip(source, spatial)):
                        values.append(x[(b, *source, c)])
                out[(b, *position, c)] = max(values) if mode == "max" else np.mean(values)
    return out


# (input shape, pool size, strides or None, padding)
POOL_CASES = [
    ((2, 8, 3), (2,), None, "valid"),
    ((2, 7, 3), (3,), (2,), "same"),
    ((2, 9, 2), (2,), (3,), "valid"),  # gaps between windows
    ((2, 6, 6, 2), (2, 2), None, "valid"),  # the usual case: windows tile the input
    ((2, 7, 5, 2), (2, 2), None, "valid"),  # the last row and column are dropped
    ((2, 5, 5, 2), (2, 2), None, "same"),
    ((1, 6, 5, 3), (3, 3), (1, 1), "same"),  # overlapping windows
    ((1, 7, 6, 2), (3, 2), (2, 1), "valid"),
    ((1, 5, 7, 2), (2, 3), (3, 2), "same"),
]


def case_id(case):
    shape, pool_size, strides, padding = case
    return f"{len(shape) - 2}d-p{pool_size}-s{strides}-{padding}"


def channels_first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


@pytest.mark.parametrize("mode, pool", [("max", max_pool), ("average", average_pool)])
@pytest.mark.parametrize("case", POOL_CASES, ids=case_id)
def test_pooling_matches_loops_in_both_data_formats(case, mode, pool):
    shape, pool_size, strides, padding = case
    x = np.random.default_rng(0).normal(size=shape)
    expected = naive_pool(x, pool_size, strides or pool_size, padding, mode)
    np.testing.assert_allclose(pool(x, pool_size, strides, padding).numpy(), expected, atol=1e-12)
    got_first = pool(channels_first(x), pool_size, strides, padding, "channels_first").numpy()
    np.testing.assert_allclose(np.moveaxis(got_first, 1, -1), expected, atol=1e-12)


@pytest.mark.parametrize("pool", [max_pool, average_pool])
@pytest.mark.parametrize("case", POOL_CASES, ids=case_id)
def test_pooling_gradients(case, pool):
    shape, pool_size, strides, padding = case
    x = np.random.default_rng(1).normal(size=shape)  # no ties, so max is differentiable
    check_gradients(lambda a: pool(a, pool_size, strides, padding), [x])


@pytest.mark.parametrize("pool", [max_pool, average_pool])
def test_pooling_gradients_channels_first(pool):
    x = channels_first(np.random.default_rng(2).normal(size=(1, 5, 6, 2)))
    check_gradients(lambda a: pool(a, 3, 2, "same", "channels_first"), [x])


def gradient_of_sum(pool, x, *args):
    x = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(pool(x, *args))
    return tape.gradient(total, x).numpy()


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_only():
    grad = gradient_of_sum(max_pool, np.ones((1, 4, 4, 1)), 2)
    expected = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(grad[0, :, :, 0], expected)


def test_max_pool_overlapping_windows_add_their_gradients():
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1, 0] = 5.0  # the centre wins all four 2x2 windows
    grad = gradient_of_sum(max_pool, x, 2, 1)
    assert grad[0, 1, 1, 0] == 4.0 and grad.sum() == 4.0


def test_average_pool_same_padding_counts_only_real_inputs():
    x = np.ones((1, 5, 5, 1))
    out = average_pool(x, 3, 1, "same").numpy()
    np.testing.assert_allclose(out, np.ones((1, 5, 5, 1)))  # zeros from padding would lower the border
    grad = gradient_of_sum(average_pool, x, 3, 1, "same")
    assert grad[0, 0, 0, 0] == pytest.approx(1 / 4 + 2 / 6 + 1 / 9)  # the corner is in 4 windows


def test_pooling_keeps_float32_and_records_one_node():
    x = ops.convert_to_tensor(np.ones((2, 4, 4, 3), dtype="float32"))
    with GradientTape() as tape:
        tape.watch(x)
        out = max_pool(x, 2)
    assert out.dtype == "float32" and out.parents == (x,)


def test_pooling_errors():
    with pytest.raises(ValueError, match="smaller than the window"):
        max_pool(np.ones((1, 2, 2, 1)), 3)
    with pytest.raises(ValueError, match="padding"):
        average_pool(np.ones((1, 4, 4, 1)), 2, padding="full")
    with pytest.raises(ValueError, match="spatial axis"):
        max_pool(np.ones((4, 4)), 2)
