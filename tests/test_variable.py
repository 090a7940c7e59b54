"""mlkit.Variable: a tensor with a changeable value, as keras.Variable."""

import numpy as np
import pytest

import mlkit
from mlkit import GradientTape, Variable, constraints, ops
from mlkit.dtype_policies.autocast import AutocastScope
from mlkit.utils.naming import reset_names


def test_value_shape_dtype_name_path_and_trainable():
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32"), name="w")
    assert v.shape == (2, 2) and v.ndim == 2 and v.size == 4
    assert v.dtype == "float32"
    assert v.name == "w" and v.path == "w"
    assert v.trainable is True and v.autocast is True
    assert v.aggregation == "none" and v.synchronization == "auto"
    np.testing.assert_array_equal(v.value.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_dtype_rules_follow_keras():
    assert Variable([1.0, 2.0]).dtype == "float32"  # Python floats -> floatx
    assert Variable(np.zeros(2, dtype="float64")).dtype == "float64"  # arrays keep theirs
    assert Variable([1, 2]).dtype == "int32"  # Python ints -> int32
    assert Variable(True).dtype == "bool"
    assert Variable("zeros", shape=(3,)).dtype == "float32"
    assert Variable("ones", shape=(2,), dtype="float64").dtype == "float64"


def test_initializer_needs_a_shape():
    with pytest.raises(ValueError, match="needs a `shape`"):
        Variable("glorot_uniform")


def test_unnamed_variables_get_unique_names():
    reset_names()
    first, second = Variable(1.0), Variable(2.0)
    assert (first.name, second.name) == ("variable", "variable_1")


def test_bad_name_aggregation_and_synchronization():
    with pytest.raises(ValueError, match="without '/'"):
        Variable(1.0, name="a/b")
    with pytest.raises(ValueError, match="aggregation"):
        Variable(1.0, aggregation="median")
    with pytest.raises(ValueError, match="synchronization"):
        Variable(1.0, synchronization="sometimes")


def test_assign_family_returns_the_new_value_and_keeps_dtype():
    v = Variable(np.array([1.0, 2.0], dtype="float32"))
    out = v.assign(np.array([5.0, 6.0], dtype="float64"))
    assert v.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), [5.0, 6.0])
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [6.0, 7.0])
    v.assign_sub(ops.convert_to_tensor([2.0, 3.0]))
    np.testing.assert_array_equal(v.numpy(), [4.0, 4.0])


def test_assign_with_the_wrong_shape_names_the_variable():
    v = Variable(np.zeros((2, 3), dtype="float32"), name="kernel")
    with pytest.raises(ValueError, match=r"'kernel' has shape \(2, 3\).*shape \(3, 2\)"):
        v.assign(np.zeros((3, 2)))
    np.testing.assert_array_equal(v.numpy(), np.zeros((2, 3)))


def test_numpy_returns_a_copy():
    v = Variable([1.0, 2.0])
    copy = v.numpy()
    copy[0] = 100.0
    assert v.numpy()[0] == 1.0


def test_usable_in_ops_like_a_tensor():
    v = Variable(np.array([1.0, -2.0, 3.0], dtype="float32"))
    np.testing.assert_allclose((v * 2 + 1).numpy(), [3.0, -3.0, 7.0])
    np.testing.assert_allclose(ops.relu(v).numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_allclose((ops.ones((2, 3)) @ v).numpy(), [2.0, 2.0])
    np.testing.assert_allclose(np.asarray(v), [1.0, -2.0, 3.0])
    assert float(ops.sum(v)) == 2.0


def test_trainable_variable_gets_a_gradient_and_frozen_one_does_not():
    w = Variable(np.array([1.0, 2.0]))
    frozen = Variable(np.array([3.0, 4.0]), trainable=False)
    with GradientTape() as tape:
        loss = ops.sum(w * w * frozen)
    grad_w, grad_frozen = tape.gradient(loss, [w, frozen])
    np.testing.assert_allclose(grad_w.numpy(), [6.0, 16.0])  # 2 w * frozen
    assert grad_frozen is None


def test_constraint_is_kept_for_the_optimizer():
    v = Variable(np.ones((2, 2)), constraint=constraints.NonNeg())
    assert isinstance(v.constraint, constraints.NonNeg)


def test_autocast_scope_reads_float_variables_in_the_scope_dtype():
    v = Variable(np.array([1.5, 2.5], dtype="float32"))
    steps = Variable(np.array([3], dtype="int32"))
    fixed = Variable(np.array([1.0], dtype="float32"), autocast=False)
    with AutocastScope("float16"):
        assert v.dtype == "float16" and (v * 2).dtype == "float16"
        assert steps.dtype == "int32"  # only float variables are cast
        assert fixed.dtype == "float32"  # autocast=False opts out
        v.assign(v + 1.0)  # the stored value stays float32
    assert v.dtype == "float32"
    np.testing.assert_array_equal(v.numpy(), [2.5, 3.5])


def test_gradient_through_an_autocast_read_comes_back_in_float32():
    v = Variable(np.array([1.0, 2.0], dtype="float32"))
    with GradientTape() as tape:
        with AutocastScope("float16"):
            loss = ops.sum(v * v)
    grad = tape.gradient(loss, v)
    assert grad.dtype == "float32"
    np.testing.assert_allclose(grad.numpy(), [2.0, 4.0])


def test_repr_like_keras():
    v = Variable(np.array([1.0, 2.0], dtype="float32"), name="bias")
    assert repr(v) == "<Variable path=bias, shape=(2,), dtype=float32, value=[1. 2.]>"


def test_top_level_export():
    assert mlkit.Variable is Variable
