"""mlkit/ops/array.py: reshaping, joining, splitting, gathering and padding."""

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.utils.gradient_check import check_gradients

X_SHAPE = (2, 3, 4)

SHAPE_OPS = {
    "reshape": (lambda x: ops.reshape(x, (4, -1)), lambda a: a.reshape(4, -1)),
    "reshape with None": (lambda x: ops.reshape(x, (None, 12)), lambda a: a.reshape(-1, 12)),
    "transpose": (ops.transpose, np.transpose),
    "transpose axes": (lambda x: ops.transpose(x, (1, -1, 0)), lambda a: np.transpose(a, (1, 2, 0))),
    "expand_dims": (lambda x: ops.expand_dims(x, -1), lambda a: a[..., None]),
    "expand_dims tuple": (lambda x: ops.expand_dims(x, (0, 2)), lambda a: np.expand_dims(a, (0, 2))),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, -1), lambda a: np.moveaxis(a, 0, -1)),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 2), lambda a: np.swapaxes(a, 0, 2)),
    "flatten": (ops.flatten, np.ravel),
    "broadcast_to": (lambda x: ops.broadcast_to(x[:, :1], (5, 2, 3, 4)), lambda a: np.broadcast_to(a[:, :1], (5, 2, 3, 4))),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), lambda a: np.tile(a, (2, 1, 3))),
    "tile short": (lambda x: ops.tile(x, 2), lambda a: np.tile(a, 2)),
    "repeat": (lambda x: ops.repeat(x, 2, axis=1), lambda a: np.repeat(a, 2, axis=1)),
    "repeat flat": (lambda x: ops.repeat(x, 3), lambda a: np.repeat(a, 3)),
    "repeat uneven": (lambda x: ops.repeat(x, [1, 0, 2], axis=-2), lambda a: np.repeat(a, [1, 0, 2], axis=-2)),
    "flip": (lambda x: ops.flip(x, axis=1), lambda a: np.flip(a, axis=1)),
    "flip all": (ops.flip, np.flip),
    "slice": (lambda x: ops.slice(x, (1, 0, 1), (1, 2, 3)), lambda a: a[1:2, 0:2, 1:4]),
    "take_along_axis": (
        lambda x: ops.take_along_axis(x, np.array([[[0], [2], [2]]]), axis=-1),
        lambda a: np.take_along_axis(a, np.array([[[0], [2], [2]]]), axis=-1),
    ),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_values_and_gradients(name, rng):
    op, reference = SHAPE_OPS[name]
    a = rng.normal(size=X_SHAPE)
    np.testing.assert_array_equal(op(a).numpy(), reference(a))
    check_gradients(op, [a])


def test_squeeze(rng):
    a = rng.normal(size=(2, 1, 3, 1))
    assert ops.squeeze(a).shape == (2, 3)
    assert ops.squeeze(a, axis=-1).shape == (2, 1, 3)
    assert ops.squeeze(a, axis=(1, 3)).shape == (2, 3)
    check_gradients(lambda x: ops.squeeze(x, axis=1), [a])


def test_reshape_explains_a_size_mismatch():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) \(6 values\) into shape \(4, 2\)"):
        ops.reshape(np.ones((2, 3)), (4, 2))


def test_concatenate_stack_split_unstack(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 5))
    np.testing.assert_array_equal(ops.concatenate([a, b], axis=-1).numpy(), np.concatenate([a, b], axis=-1))
    assert ops.concat is ops.concatenate
    check_gradients(lambda x, y: ops.concatenate([x, y, x], axis=1), [a, b])
    c = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(ops.stack([a, c], axis=-1).numpy(), np.stack([a, c], axis=-1))
    check_gradients(lambda x, y: ops.stack([x, y], axis=1), [a, c])
    check_gradients(lambda x, y: ops.stack([x, y]), [a, c])
    x = rng.normal(size=(6, 4))
    parts = ops.split(x, 3)
    assert [p.shape for p in parts] == [(2, 4)] * 3
    parts = ops.split(x, [1, 3], axis=-1)
    assert [p.shape for p in parts] == [(6, 1), (6, 2), (6, 1)]
    np.testing.assert_array_equal(parts[1].numpy(), x[:, 1:3])
    check_gradients(lambda t: [p * (i + 1.0) for i, p in enumerate(ops.split(t, [1, 3], axis=-1))], [x])
    rows = ops.unstack(x[:3], axis=0)
    assert len(rows) == 3 and rows[2].shape == (4,)
    check_gradients(lambda t: ops.unstack(t, axis=1), [x[:2]])


TAKE_CASES = {
    "flat": (np.array([5, 0, 5, 11]), None),
    "axis 0 with repeats": (np.array([2, 0, 2]), 0),
    "axis 1": (np.array([[3, 1], [0, 3]]), 1),
    "negative index and axis": (np.array([-1, 0]), -1),
    "scalar index": (np.array(1), 0),
}


@pytest.mark.parametrize("name", sorted(TAKE_CASES))
def test_take_values_and_gradients(name, rng):
    indices, axis = TAKE_CASES[name]
    a = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(ops.take(a, indices, axis=axis).numpy(), np.take(a, indices, axis=axis))
    check_gradients(lambda x: ops.take(x, indices, axis=axis), [a])


def test_take_accumulates_gradients_of_repeated_rows_like_an_embedding():
    table = ops.convert_to_tensor(np.zeros((4, 2)))
    ids = ops.convert_to_tensor([[1, 1], [3, 1]])
    with GradientTape() as tape:
        tape.watch(table)
        vectors = ops.take(table, ids, axis=0)
        total = ops.sum(vectors)
    assert vectors.shape == (2, 2, 2)
    np.testing.assert_array_equal(tape.gradient(total, table).numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])
    assert ops.gather is ops.take


PAD_CASES = {
    "int": (1, "constant"),
    "pair per axis": ([(0, 1), (2, 0)], "constant"),
    "one pair for all axes": ([(1, 2)], "constant"),
    "edge": ([(1, 2), (2, 1)], "edge"),
    "reflect": ([(2, 1), (1, 2)], "reflect"),
    "symmetric": ([(2, 3), (0, 1)], "symmetric"),
    "wrap": ([(1, 1), (3, 0)], "wrap"),
}


@pytest.mark.parametrize("name", sorted(PAD_CASES))
def test_pad_values_and_gradients(name, rng):
    widths, mode = PAD_CASES[name]
    a = rng.normal(size=(3, 4))
    expected = np.pad(a, widths, mode=mode)
    np.testing.assert_array_equal(ops.pad(a, widths, mode=mode).numpy(), expected)
    check_gradients(lambda x: ops.pad(x, widths, mode=mode), [a])


def test_pad_constant_values_and_an_unsupported_gradient_mode():
    np.testing.assert_array_equal(ops.pad(np.ones(2), 1, constant_values=7).numpy(), [7, 1, 1, 7])
    x = ops.convert_to_tensor(np.ones(3))
    assert ops.pad(x, 1, mode="mean").shape == (5,)
    with GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(NotImplementedError, match="gradients exist for mode 'constant'.*got mode='mean'"):
            ops.pad(x, 1, mode="mean")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_array_ops_keep_the_dtype(dtype, rng):
    x = ops.convert_to_tensor(rng.normal(size=(2, 3)), dtype=dtype)
    results = [
        ops.reshape(x, (3, 2)), ops.transpose(x), ops.concatenate([x, x]), ops.stack([x, x]),
        ops.take(x, [0, 0]), ops.pad(x, 1), ops.split(x, 3, axis=1)[0], x[0], ops.expand_dims(x, 0),
        ops.tile(x, 2), ops.flip(x),
    ]
    assert all(r.dtype == dtype for r in results)


def test_take_along_axis_accumulates_repeats_and_flattens_without_an_axis(rng):
    a = rng.normal(size=(3, 4))
    repeats = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])
    np.testing.assert_array_equal(ops.take_along_axis(a, repeats, axis=1).numpy(), np.take_along_axis(a, repeats, axis=1))
    check_gradients(lambda x: ops.take_along_axis(x, repeats, axis=1), [a])
    flat = np.array([11, 0, 0])
    np.testing.assert_array_equal(ops.take_along_axis(a, flat).numpy(), np.take_along_axis(a, flat, axis=None))
    check_gradients(lambda x: ops.take_along_axis(x, flat), [a])
    labels = np.array([[2], [0], [3]])
    check_gradients(lambda x: ops.take_along_axis(x, labels, axis=-1), [a])
