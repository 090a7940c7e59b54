"""mlkit/ops/tensor.py: the Tensor type, its Python operators and indexing."""

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.ops.tensor import Tensor
from mlkit.utils.gradient_check import check_gradients


def test_operators_compute_like_numpy(rng):
    a, b = rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, size=(3,))
    x, y = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    cases = {
        "x + y": (x + y, a + b), "x - y": (x - y, a - b), "x * y": (x * y, a * b),
        "x / y": (x / y, a / b), "y ** x": (y**x, b**a), "-x": (-x, -a), "+x": (+x, a),
        "abs(x)": (abs(x), np.abs(a)), "x @ y": (x @ y, a @ b), "x.T": (x.T, a.T),
        "2 - x": (2 - x, 2 - a), "2 / y": (2 / y, 2 / b), "2 ** x": (2**x, 2**a),
        "array + x": (a + x, a + a), "array @ y": (a @ y, a @ b), "array * y": (a * y, a * b),
    }
    for text, (got, expected) in cases.items():
        assert isinstance(got, Tensor), text
        np.testing.assert_allclose(got.numpy(), expected, err_msg=text)


def test_operators_have_gradients(rng):
    a, b = rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, size=(3, 4))
    check_gradients(lambda x, y: (x @ y) * 2.0 - 1.0 / y[0] + x[0, 0], [a, b])
    check_gradients(lambda x, y: -(x.T @ x) + abs(y[:3, :3]) ** 3, [a, b])


def test_comparisons_are_elementwise_and_tensors_hash_by_identity():
    x = ops.convert_to_tensor([1.0, 2.0, 3.0])
    assert (x == 2.0).numpy().tolist() == [False, True, False]
    assert (x != 2.0).numpy().tolist() == [True, False, True]
    assert (x <= 2.0).numpy().tolist() == [True, True, False]
    assert (x > 1.0).numpy().tolist() == [False, True, True]
    assert (x >= 3.0).numpy().tolist() == [False, False, True]
    assert len({x, ops.convert_to_tensor([1.0, 2.0, 3.0])}) == 2


def test_python_scalars_do_not_upcast_float32():
    x = ops.ones((2,), dtype="float32")
    for result in [x + 1, x * 2.5, 1.0 - x, x / 3, x**2, 2**x, -x, x @ x, abs(x)]:
        assert result.dtype == "float32"


def test_conversions_and_protocols():
    x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.shape == (2, 2) and x.ndim == 2 and x.size == 4 and x.dtype == "float32"
    assert len(x) == 2
    rows = list(x)
    assert [row.numpy().tolist() for row in rows] == [[1.0, 2.0], [3.0, 4.0]]
    scalar = ops.sum(x)
    assert float(scalar) == 10.0 and int(scalar) == 10 and bool(scalar)
    assert f"{scalar:.1f}" == "10.0"
    assert list(range(10))[ops.convert_to_tensor(3)] == 3  # __index__
    assert np.asarray(x).dtype == np.float32 and np.asarray(x, dtype="float64").dtype == np.float64
    assert x.astype("int32").dtype == "int32"
    assert "shape=(2, 2), dtype=float32" in repr(x)
    with pytest.raises(TypeError, match="0-d tensor"):
        len(scalar)
    with pytest.raises(TypeError, match="0-d tensor"):
        iter(scalar)


def test_numpy_returns_a_copy():
    x = ops.convert_to_tensor([1.0, 2.0])
    copy = x.numpy()
    copy[0] = 9.0
    assert x.numpy().tolist() == [1.0, 2.0]


INDEXES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, 3),
    "negative step": slice(None, None, -2),
    "tuple": (slice(None), 2),
    "ellipsis and None": (Ellipsis, None, 1),
    "int array with repeats": np.array([0, 2, 0, 0]),
    "list": [1, 1, 3],
    "bool mask": np.array([True, False, True, True]),
    "pair of int arrays": (np.array([0, 0, 3]), np.array([1, 1, 2])),
    "tensor index": ops.convert_to_tensor([3, 0, 3]),
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_values_and_gradients(name, rng):
    index = INDEXES[name]
    a = rng.normal(size=(4, 3))
    numpy_index = index.numpy() if isinstance(index, Tensor) else index
    np.testing.assert_array_equal(ops.convert_to_tensor(a)[index].numpy(), a[numpy_index])
    check_gradients(lambda x: x[index], [a])


def test_repeated_indices_accumulate_their_gradients():
    x = ops.convert_to_tensor(np.zeros(4))
    with GradientTape() as tape:
        tape.watch(x)
        picked = x[[0, 2, 0, 0]]
        total = ops.sum(picked * np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(tape.gradient(total, x).numpy(), [8.0, 0.0, 2.0, 0.0])
