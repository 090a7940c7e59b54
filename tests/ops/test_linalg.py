"""mlkit/ops/linalg.py: matmul, dot, tensordot, einsum and outer products."""

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.utils.gradient_check import check_gradients

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),  # a Dense layer applied to a sequence
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)),  # batch axes that broadcast
    ((3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_values_and_gradients(shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    np.testing.assert_allclose(ops.matmul(a, b).numpy(), np.matmul(a, b), rtol=1e-12)
    check_gradients(ops.matmul, [a, b])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_keeps_the_dtype(dtype, rng):
    a = ops.convert_to_tensor(rng.normal(size=(2, 3)), dtype=dtype)
    with GradientTape() as tape:
        tape.watch(a)
        out = ops.sum(ops.matmul(a, ops.transpose(a)))
    assert out.dtype == dtype and tape.gradient(out, a).dtype == dtype


def test_matmul_explains_mismatched_shapes():
    with pytest.raises(ValueError, match=r"ops.matmul: cannot multiply shapes \(2, 3\) and \(4, 5\).*last axis of x1"):
        ops.matmul(np.ones((2, 3)), np.ones((4, 5)))


DOT_SHAPES = [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (4, 3, 2))]


@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
def test_dot_matches_numpy(shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    np.testing.assert_allclose(ops.dot(a, b).numpy(), np.dot(a, b), rtol=1e-12)
    check_gradients(ops.dot, [a, b])


@pytest.mark.parametrize("axes", [2, 1, 0, ([1], [0]), ([0, 2], [1, 0]), (-1, 0)], ids=str)
def test_tensordot_matches_numpy(axes, rng):
    a = rng.normal(size=(3, 4, 2))
    b = rng.normal(size=(4, 2, 5)) if axes in (2, 1, 0) else rng.normal(size=(2, 3, 5))
    if axes == 1:
        b = rng.normal(size=(2, 5))
    if axes == ([1], [0]):
        b = rng.normal(size=(4, 5))
    if axes == (-1, 0):
        b = rng.normal(size=(2, 3))
    np.testing.assert_allclose(ops.tensordot(a, b, axes=axes).numpy(), np.tensordot(a, b, axes=axes), rtol=1e-12)
    check_gradients(lambda x, y: ops.tensordot(x, y, axes=axes), [a, b])


EINSUM_CASES = {
    "matmul": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "implicit matmul": ("ij,jk", [(2, 3), (3, 4)]),
    "batched dense": ("bij,jk->bik", [(2, 3, 4), (4, 5)]),
    "sum out a letter": ("ij->i", [(3, 4)]),
    "transpose": ("ij->ji", [(3, 4)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "three operands": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    "ellipsis": ("...ij,jk->...ik", [(2, 5, 3, 4), (4, 2)]),
    "implicit ellipsis": ("...j,j", [(2, 3, 4), (4,)]),
    "broadcast size 1": ("bi,bi->bi", [(1, 3), (4, 3)]),
    "attention scores": ("bqd,bkd->bqk", [(2, 3, 4), (2, 5, 4)]),
}


@pytest.mark.parametrize("name", sorted(EINSUM_CASES))
def test_einsum_matches_numpy_and_has_gradients(name, rng):
    subscripts, shapes = EINSUM_CASES[name]
    operands = [rng.normal(size=shape) for shape in shapes]
    np.testing.assert_allclose(ops.einsum(subscripts, *operands).numpy(), np.einsum(subscripts, *operands), rtol=1e-12)
    check_gradients(lambda *xs: ops.einsum(subscripts, *xs), operands)


def test_einsum_repeated_letters_work_forward_and_explain_the_missing_gradient():
    x = np.arange(9.0).reshape(3, 3)
    assert float(ops.einsum("ii", x)) == 12.0
    t = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        with pytest.raises(NotImplementedError, match="repeated letters"):
            ops.einsum("ii->i", t)
    with pytest.raises(ValueError, match="names 2 operands but 1 were given"):
        ops.einsum("ij,jk->ik", x)


def test_outer(rng):
    a, b = rng.normal(size=3), rng.normal(size=(2, 2))
    np.testing.assert_allclose(ops.outer(a, b).numpy(), np.outer(a, b))
    check_gradients(ops.outer, [a, b])
