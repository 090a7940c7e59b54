"""mlkit/ops/math.py: arithmetic, reductions, comparisons.

Values are compared with the NumPy formula; every differentiable op is
gradient-checked in float64 against finite differences, including inputs
that broadcast against each other (size-1 axes, missing leading axes).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from mlkit import GradientTape, ops
from mlkit.utils.gradient_check import check_gradients

BROADCAST_PAIRS = [
    ((3, 1, 4), (5, 4)),
    ((2, 3), (2, 3)),
    ((4,), (3, 1)),
    ((), (2, 3)),
    ((2, 1), (1, 3)),
]

BINARY = {
    "add": (ops.add, np.add),
    "subtract": (ops.subtract, np.subtract),
    "multiply": (ops.multiply, np.multiply),
    "divide": (ops.divide, np.divide),
    "power": (ops.power, np.power),
    "maximum": (ops.maximum, np.maximum),
    "minimum": (ops.minimum, np.minimum),
}


def binary_inputs(name, shape_a, shape_b, rng):
    a = rng.normal(size=shape_a)
    b = rng.normal(size=shape_b)
    if name == "divide":
        b = np.sign(b) * (np.abs(b) + 0.5)  # keep the denominator away from 0
    if name == "power":
        a = np.abs(a) + 0.5  # a positive base, so any real exponent works
    return a, b


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_values_and_gradients_with_broadcasting(name, shapes, rng):
    op, reference = BINARY[name]
    a, b = binary_inputs(name, *shapes, rng)
    np.testing.assert_allclose(op(a, b).numpy(), reference(a, b), rtol=1e-12)
    check_gradients(op, [a, b])


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
    name=st.sampled_from(["add", "subtract", "multiply", "maximum"]),
    seed=st.integers(0, 2**16),
)
def test_property_broadcast_gradients_have_the_input_shapes(shapes, name, seed):
    op, reference = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shapes.input_shapes[0]), rng.normal(size=shapes.input_shapes[1])
    x, y = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    with GradientTape() as tape:
        tape.watch([x, y])
        out = op(x, y)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), reference(a, b))
    grad_x, grad_y = tape.gradient(out, [x, y])
    assert grad_x.shape == a.shape and grad_y.shape == b.shape
    check_gradients(op, [a, b])


def test_python_operators_use_the_same_gradients(rng):
    a, b = rng.normal(size=(3, 1)), np.abs(rng.normal(size=(4,))) + 0.5
    check_gradients(lambda x, y: (x + y) * (x - y) / y - x**2 + (-x) * 3.0, [a, b])
    check_gradients(lambda y: 2.0**y + 1.0 / y - (1.0 - y), [b])


def test_power_with_a_non_positive_base_has_a_finite_exponent_gradient():
    base = ops.convert_to_tensor(np.array([-2.0, 0.0, 2.0]))
    exponent = ops.convert_to_tensor(np.array([2.0, 3.0, 2.0]))
    with GradientTape() as tape:
        tape.watch(exponent)
        out = ops.power(base, exponent)
    grad = tape.gradient(out, exponent).numpy()
    np.testing.assert_allclose(grad, [0.0, 0.0, 4.0 * np.log(2.0)])


UNARY = {
    "negative": (ops.negative, np.negative, None),
    "square": (ops.square, np.square, None),
    "sqrt": (ops.sqrt, np.sqrt, "positive"),
    "rsqrt": (ops.rsqrt, lambda x: 1 / np.sqrt(x), "positive"),
    "exp": (ops.exp, np.exp, None),
    "expm1": (ops.expm1, np.expm1, None),
    "log": (ops.log, np.log, "positive"),
    "log1p": (ops.log1p, np.log1p, "positive"),
    "sin": (ops.sin, np.sin, None),
    "cos": (ops.cos, np.cos, None),
    "abs": (ops.abs, np.abs, "nonzero"),
    "absolute": (ops.absolute, np.abs, "nonzero"),
    "reciprocal": (ops.reciprocal, np.reciprocal, "nonzero"),
    "sign": (ops.sign, np.sign, "nonzero"),
    "floor": (ops.floor, np.floor, "off_integers"),
    "ceil": (ops.ceil, np.ceil, "off_integers"),
    "round": (ops.round, np.round, "off_integers"),
}


def unary_input(domain, shape, rng, away_from_zero):
    if domain == "positive":
        return rng.uniform(0.5, 3.0, size=shape)
    if domain == "nonzero":
        return away_from_zero(shape)
    if domain == "off_integers":
        return rng.integers(-3, 3, size=shape) + rng.uniform(0.1, 0.4, size=shape)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_values_and_gradients(name, rng, away_from_zero):
    op, reference, domain = UNARY[name]
    x = unary_input(domain, (3, 1, 4), rng, away_from_zero)
    np.testing.assert_allclose(op(x).numpy(), reference(x), rtol=1e-12)
    check_gradients(op, [x])


@pytest.mark.parametrize("name", ["sign", "floor", "round"])
def test_piecewise_constant_ops_have_a_zero_gradient_not_none(name):
    x = ops.convert_to_tensor(np.array([-1.3, 0.4, 2.6]))
    with GradientTape() as tape:
        tape.watch(x)
        out = getattr(ops, name)(x)
    np.testing.assert_array_equal(tape.gradient(out, x).numpy(), [0.0, 0.0, 0.0])


def test_floor_divide_and_mod_follow_python_signs_and_broadcast(rng):
    a = np.array([[7.0, -7.0, 7.5]])
    b = np.array([[2.0], [-2.0]])
    np.testing.assert_array_equal((ops.convert_to_tensor(a) // b).numpy(), np.floor_divide(a, b))
    np.testing.assert_array_equal((ops.convert_to_tensor(a) % b).numpy(), np.mod(a, b))
    np.testing.assert_array_equal((7 // ops.convert_to_tensor(b)).numpy(), [[3.0], [-4.0]])
    np.testing.assert_array_equal((7 % ops.convert_to_tensor(b)).numpy(), [[1.0], [-1.0]])


def test_mod_gradients_match_finite_differences_and_floor_divide_is_flat(rng):
    a = rng.uniform(0.1, 0.9, size=(3, 1)) + np.array([[0.0], [3.0], [-5.0]])
    b = np.array([[1.0, -2.0]])  # every a / b stays away from an integer: no jump nearby
    check_gradients(ops.mod, [a, b])
    x, y = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    with GradientTape() as tape:
        tape.watch(x)
        tape.watch(y)
        out = ops.sum(ops.floor_divide(x, y))
    grad_x, grad_y = tape.gradient(out, [x, y])
    np.testing.assert_array_equal(grad_x.numpy(), np.zeros((3, 1)))
    np.testing.assert_array_equal(grad_y.numpy(), np.zeros((1, 2)))


# -- float32 stays float32 ----------------------------------------------------
DTYPE_CASES = {
    "add": lambda x: ops.add(x, 1.0),
    "radd": lambda x: 1.0 + x,
    "multiply": lambda x: x * 2.0,
    "divide": lambda x: x / 3,
    "rdivide": lambda x: 1.0 / x,
    "power": lambda x: x**2,
    "rpower": lambda x: 2.0**x,
    "subtract": lambda x: 1 - x,
    "maximum": lambda x: ops.maximum(x, 0.0),
    "minimum": lambda x: ops.minimum(x, 0.5),
    "clip": lambda x: ops.clip(x, 0, 1),
    "where": lambda x: ops.where(x > 0, x, 0.0),
    "sum": ops.sum,
    "mean": lambda x: ops.mean(x, axis=0),
    "max": lambda x: ops.max(x, axis=-1),
    "var": ops.var,
    "std": ops.std,
    "prod": ops.prod,
    "logsumexp": ops.logsumexp,
    "cumsum": ops.cumsum,
    "norm": ops.norm,
    "exp": ops.exp,
    "log1p": lambda x: ops.log1p(ops.abs(x)),
    "rsqrt": lambda x: ops.rsqrt(ops.abs(x) + 1),
    "sign": ops.sign,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DTYPE_CASES))
def test_results_and_gradients_keep_the_input_dtype(name, dtype, rng):
    x = ops.convert_to_tensor(rng.normal(size=(2, 3)), dtype=dtype)
    with GradientTape() as tape:
        tape.watch(x)
        out = DTYPE_CASES[name](x)
        total = ops.sum(out)
    assert out.dtype == dtype
    grad = tape.gradient(total, x)
    assert grad is not None and grad.dtype == dtype


def test_integer_sums_keep_an_integer_type_and_means_become_float32():
    assert ops.sum(ops.convert_to_tensor([1, 2, 3])).dtype == "int32"
    assert ops.sum(ops.convert_to_tensor([True, False, True])).dtype == "int32"
    assert int(ops.sum(ops.convert_to_tensor([True, False, True]))) == 2
    assert ops.sum(np.array([1, 2], dtype="int64")).dtype == "int64"
    mean = ops.mean(ops.convert_to_tensor([1, 2]))
    assert mean.dtype == "float32" and float(mean) == 1.5
    assert ops.var(ops.convert_to_tensor([1, 3])).dtype == "float32"


# -- reductions ---------------------------------------------------------------
REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "max": (ops.max, np.max),
    "min": (ops.min, np.min),
    "prod": (ops.prod, np.prod),
    "var": (ops.var, np.var),
    "std": (ops.std, np.std),
    "logsumexp": (ops.logsumexp, lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))),
}
AXES = [None, 0, -1, 1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_values_and_gradients(name, axis, keepdims, rng):
    op, reference = REDUCTIONS[name]
    x = rng.normal(size=(3, 1, 4))
    out = op(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), reference(x, axis=axis, keepdims=keepdims), rtol=1e-12)
    check_gradients(lambda t: op(t, axis=axis, keepdims=keepdims), [x])


def test_prod_gradient_is_right_when_an_entry_is_zero():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 4.0, 2.0]])
    check_gradients(lambda t: ops.prod(t, axis=1), [x])
    with GradientTape() as tape:
        t = ops.convert_to_tensor(x)
        tape.watch(t)
        out = ops.prod(t, axis=1)
    np.testing.assert_allclose(tape.gradient(out, t).numpy(), [[0, 6, 0], [0, 0, 0], [8, 2, 4]])


def test_max_and_min_split_the_gradient_between_ties():
    x = ops.convert_to_tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]]))
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        top, bottom = ops.max(x, axis=1), ops.min(x, axis=1)
        overall = ops.max(x)
    np.testing.assert_allclose(tape.gradient(top, x).numpy(), [[0, 0.5, 0.5], [1, 0, 0]])
    np.testing.assert_allclose(tape.gradient(bottom, x).numpy(), [[1, 0, 0], [0, 0.5, 0.5]])
    np.testing.assert_allclose(tape.gradient(overall, x).numpy(), [[0, 0.5, 0.5], [0, 0, 0]])


def test_max_with_initial_and_its_gradient_when_initial_wins():
    x = ops.convert_to_tensor(np.array([[-1.0, -2.0], [3.0, 1.0]]))
    with GradientTape() as tape:
        tape.watch(x)
        out = ops.max(x, axis=1, initial=0.0)
    np.testing.assert_allclose(out.numpy(), [0.0, 3.0])
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), [[0, 0], [1, 0]])


def test_maximum_and_minimum_send_a_tie_to_the_first_argument():
    a = ops.convert_to_tensor(np.array([1.0, 2.0, 3.0]))
    b = ops.convert_to_tensor(np.array([1.0, 5.0, 0.0]))
    with GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        high, low = ops.maximum(a, b), ops.minimum(a, b)
    grad_a, grad_b = tape.gradient(high, [a, b])
    np.testing.assert_array_equal(grad_a.numpy(), [1, 0, 1])
    np.testing.assert_array_equal(grad_b.numpy(), [0, 1, 0])
    grad_a, grad_b = tape.gradient(low, [a, b])
    np.testing.assert_array_equal(grad_a.numpy(), [1, 1, 0])
    np.testing.assert_array_equal(grad_b.numpy(), [0, 0, 1])


def test_clip_passes_the_gradient_inside_and_at_the_bounds_only():
    x = ops.convert_to_tensor(np.array([-1.0, -0.5, 0.0, 0.5, 1.0]))
    with GradientTape() as tape:
        tape.watch(x)
        out = ops.clip(x, -0.5, 0.5)
    np.testing.assert_array_equal(out.numpy(), [-0.5, -0.5, 0.0, 0.5, 0.5])
    np.testing.assert_array_equal(tape.gradient(out, x).numpy(), [0, 1, 1, 1, 0])


def test_clip_gradient_away_from_the_bounds(rng):
    x = rng.uniform(-2, 2, size=(4, 5))
    x = x[np.abs(np.abs(x) - 0.7) > 0.05][:12]
    check_gradients(lambda t: ops.clip(t, -0.7, 0.7), [x])


def test_where_routes_the_gradient_by_the_condition_with_broadcasting(rng):
    condition = np.array([[True, False, True]])
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 1))
    np.testing.assert_allclose(ops.where(condition, a, b).numpy(), np.where(condition, a, b))
    check_gradients(lambda x, y: ops.where(condition, x, y), [a, b])
    x = ops.convert_to_tensor(np.array([-1.0, 0.0, 2.0]))
    with GradientTape() as tape:
        tape.watch(x)
        out = ops.where(x > 0, x, -x)  # |x|; at the boundary 0 the false branch wins
    np.testing.assert_array_equal(tape.gradient(out, x).numpy(), [-1, -1, 1])


def test_where_with_only_a_condition_gives_indices_and_one_branch_is_an_error():
    rows, cols = ops.where(np.array([[True, False], [False, True]]))
    assert rows.numpy().tolist() == [0, 1] and cols.numpy().tolist() == [0, 1]
    with pytest.raises(ValueError, match="both x1 and x2"):
        ops.where(np.array([True]), 1.0)


def test_argmax_and_argmin(rng):
    x = rng.normal(size=(3, 4, 5))
    for axis in [None, 0, -1]:
        got = ops.argmax(x, axis=axis)
        assert got.dtype == "int32"
        np.testing.assert_array_equal(got.numpy(), np.argmax(x, axis=axis))
        np.testing.assert_array_equal(ops.argmin(x, axis=axis).numpy(), np.argmin(x, axis=axis))
    assert ops.argmax(x, axis=1, keepdims=True).shape == (3, 1, 5)
    assert int(ops.argmax(np.array([1.0, 4.0, 4.0]))) == 1  # the first of tied maxima


def test_cumsum_norm_and_add_n_gradients(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(ops.cumsum(x, axis=1).numpy(), np.cumsum(x, axis=1))
    np.testing.assert_allclose(ops.cumsum(x).numpy(), np.cumsum(x))
    check_gradients(lambda t: ops.cumsum(t, axis=-1), [x])
    check_gradients(ops.cumsum, [x])
    check_gradients(lambda a, b: ops.add_n([a, b, a]), [x, x + 1])
    for ord_ in [None, 1, 2, 3, np.inf, -np.inf]:
        expected = np.linalg.norm(x, ord=ord_, axis=1, keepdims=True)
        np.testing.assert_allclose(ops.norm(x, ord=ord_, axis=1, keepdims=True).numpy(), expected)
        check_gradients(lambda t: ops.norm(t, ord=ord_, axis=1), [x])
    np.testing.assert_allclose(ops.norm(x).numpy(), np.linalg.norm(x))
    with pytest.raises(NotImplementedError, match="Frobenius"):
        ops.norm(x, ord=2)


def test_comparisons_and_logic_give_bools_without_a_graph():
    a = ops.convert_to_tensor([1.0, 2.0, 3.0])
    with GradientTape() as tape:
        tape.watch(a)
        results = [ops.equal(a, 2.0), ops.not_equal(a, 2.0), ops.less(a, 2.0), ops.less_equal(a, 2.0),
                   ops.greater(a, 2.0), ops.greater_equal(a, 2.0), a == 2.0, a < 2.0]
    expected = [[0, 1, 0], [1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0]]
    for result, want in zip(results, expected):
        assert result.dtype == "bool" and result.parents == ()
        assert result.numpy().astype(int).tolist() == want
    mask = ops.convert_to_tensor([True, False])
    assert ops.logical_and(mask, True).numpy().tolist() == [True, False]
    assert ops.logical_or(mask, False).numpy().tolist() == [True, False]
    assert ops.logical_not(mask).numpy().tolist() == [False, True]
    assert bool(ops.any(mask)) and not bool(ops.all(mask))
    assert int(ops.count_nonzero(mask)) == 1
    assert ops.isnan(np.array([np.nan, 1.0])).numpy().tolist() == [True, False]
    assert ops.isfinite(np.array([np.inf, 1.0])).numpy().tolist() == [False, True]


def test_one_hot():
    labels = ops.convert_to_tensor([1, 3, 2, 0])
    got = ops.one_hot(labels, 4)
    assert got.dtype == "float32"
    np.testing.assert_array_equal(got.numpy(), np.eye(4)[[1, 3, 2, 0]])
    np.testing.assert_array_equal(ops.one_hot(labels, 4, axis=0).numpy(), np.eye(4)[[1, 3, 2, 0]].T)
    assert ops.one_hot(labels, 4, dtype="int32").dtype == "int32"
    # Out-of-range labels (negative or too large) give rows of zeros.
    np.testing.assert_array_equal(ops.one_hot([-1, 4, 1], 4).numpy(), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]])
    assert ops.one_hot(np.zeros((2, 3), dtype=int), 5).shape == (2, 3, 5)
    np.testing.assert_array_equal(ops.one_hot(np.array([1.0, 0.0]), 2).numpy(), [[0, 1], [1, 0]])
    with pytest.raises(TypeError, match="integer class labels.*float64"):
        ops.one_hot(np.array([0.5, 1.0]), 2)


def test_ops_outside_a_tape_record_nothing(rng):
    x = ops.convert_to_tensor(rng.normal(size=(2, 2)))
    for out in [x + x, ops.sum(x * 2.0), ops.max(x, axis=0), ops.clip(x, 0, 1), ops.var(x)]:
        assert out.parents == () and out.grad_fn is None and not out.requires_grad


def test_large_values_give_no_floating_point_warnings():
    big = ops.convert_to_tensor([1000.0, -1000.0, 0.0], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(ops.logsumexp(big).numpy(), 1000.0)
        assert np.isfinite(ops.logsumexp(ops.convert_to_tensor([-np.inf, 0.0])).numpy())


def test_shapes_that_do_not_broadcast_get_a_clear_error():
    message = r"ops.add: the input shapes \(3, 3\) and \(2, 2\) cannot be broadcast.*equal or one of them 1"
    with pytest.raises(ValueError, match=message):
        ops.add(np.ones((3, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"ops.multiply: .*\(2,\) and \(3,\)"):
        ops.convert_to_tensor([1.0, 2.0]) * ops.convert_to_tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="ops.where"):
        ops.where(np.array([True, False]), np.ones(3), 0.0)
