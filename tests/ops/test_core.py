"""mlkit/ops/core.py: conversion, dtypes, casting and creating tensors."""

import numpy as np
import pytest

from mlkit import GradientTape, backend, ops
from mlkit.dtype_policies import DTypePolicy
from mlkit.ops.tensor import Tensor
from mlkit.utils.gradient_check import check_gradients


def test_convert_to_tensor_follows_keras_default_dtypes():
    assert ops.convert_to_tensor(1.5).dtype == "float32"
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == "float32"
    assert ops.convert_to_tensor(3).dtype == "int32"
    assert ops.convert_to_tensor([[1, 2], [3, 4]]).dtype == "int32"
    assert ops.convert_to_tensor([True, False]).dtype == "bool"
    # NumPy values keep their own dtype.
    assert ops.convert_to_tensor(np.zeros(2)).dtype == "float64"
    assert ops.convert_to_tensor(np.float64(2.0)).dtype == "float64"
    assert ops.convert_to_tensor(np.arange(3)).dtype == "int64"
    assert ops.convert_to_tensor([1, 2], dtype="float64").dtype == "float64"


def test_convert_to_tensor_returns_a_tensor_of_the_right_dtype_unchanged():
    x = ops.convert_to_tensor([1.0, 2.0])
    assert ops.convert_to_tensor(x) is x
    assert ops.convert_to_tensor(x, dtype="float32") is x
    y = ops.convert_to_tensor(x, dtype="float64")
    assert y.dtype == "float64" and y.numpy().tolist() == [1.0, 2.0]


def test_convert_to_tensor_follows_floatx():
    backend.set_floatx("float64")
    try:
        assert ops.convert_to_tensor([1.0]).dtype == "float64"
        assert ops.ones((1,)).dtype == "float64"
    finally:
        backend.set_floatx("float32")
    assert ops.convert_to_tensor([1.0]).dtype == "float32"


def test_convert_to_tensor_explains_bad_input():
    with pytest.raises(ValueError, match=r"list \[\[1, 2\], \[3\]\].*same length"):
        ops.convert_to_tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="str 'abc'.*dtype <U3.*numbers"):
        ops.convert_to_tensor("abc")
    with pytest.raises(TypeError, match="NoneType None"):
        ops.convert_to_tensor(None)
    with pytest.raises(ValueError, match="only dense tensors"):
        ops.convert_to_tensor([1.0], sparse=True)
    with pytest.raises(ValueError, match="Unknown dtype 'flaot32'.*'float32'"):
        ops.convert_to_tensor([1.0], dtype="flaot32")


def test_standardize_dtype():
    assert ops.standardize_dtype(None) == "float32"
    assert ops.standardize_dtype("float") == "float32"
    assert ops.standardize_dtype("int") == "int32"
    assert ops.standardize_dtype(np.float64) == "float64"
    assert ops.standardize_dtype(np.dtype("int8")) == "int8"
    assert ops.standardize_dtype("bool") == "bool"
    assert ops.standardize_dtype(DTypePolicy("mixed_float16")) == "float16"
    for bad in ["flaot32", "object", "U8", 3.5]:
        with pytest.raises(ValueError, match="Unknown dtype.*Pass a dtype name"):
            ops.standardize_dtype(bad)


def test_cast_values_and_gradient_dtype():
    x = ops.convert_to_tensor(np.array([1.7, -2.2]), dtype="float32")
    assert ops.cast(x, "int32").numpy().tolist() == [1, -2]
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.cast(x, "float64")
        z = ops.sum(y * y)
    assert y.dtype == "float64"
    grad = tape.gradient(z, x)
    assert grad.dtype == "float32"
    np.testing.assert_allclose(grad.numpy(), 2 * x.numpy(), rtol=1e-6)
    check_gradients(lambda t: ops.cast(t, "float64") * 3.0, [np.array([0.5, 1.5])])
    with GradientTape() as tape:
        tape.watch(x)
        as_int = ops.cast(x, "int32")
    assert as_int.parents == ()  # an integer result cannot carry a gradient


def test_shape_ndim_size_dtype_is_tensor_and_convert_to_numpy():
    x = ops.ones((2, 3, 4))
    assert ops.shape(x) == (2, 3, 4) and ops.ndim(x) == 3 and ops.size(x) == 24
    assert ops.shape([[1, 2, 3]]) == (1, 3)
    assert ops.dtype(x) == "float32" and ops.dtype([1, 2]) == "int32" and ops.dtype(2.0) == "float32"
    assert ops.is_tensor(x) and not ops.is_tensor(np.ones(2))
    array = ops.convert_to_numpy(x)
    assert isinstance(array, np.ndarray) and array.shape == (2, 3, 4)
    array[0, 0, 0] = 5.0
    assert float(x[0, 0, 0]) == 1.0  # a copy: the tensor is unchanged
    assert ops.convert_to_numpy([1, 2]).tolist() == [1, 2]


def test_creation_ops():
    assert ops.zeros((2, 3)).numpy().tolist() == [[0.0] * 3] * 2
    assert ops.zeros(3).shape == (3,)
    assert ops.ones((2,), dtype="int32").dtype == "int32"
    assert ops.full((2, 2), 7).numpy().tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert ops.full((2,), 7).dtype == "float32"
    np.testing.assert_array_equal(ops.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(ops.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))
    np.testing.assert_array_equal(ops.identity(2).numpy(), np.eye(2))
    x = ops.convert_to_tensor(np.ones((2, 3), dtype="float64"))
    assert ops.zeros_like(x).dtype == "float64" and ops.zeros_like(x).numpy().sum() == 0
    assert ops.ones_like(x, dtype="int32").dtype == "int32"
    assert ops.full_like(x, 2.5).numpy().tolist() == [[2.5] * 3] * 2
    assert ops.ones_like([1, 2]).dtype == "int64"


def test_arange_and_linspace_dtypes():
    assert ops.arange(3).dtype == "int32" and ops.arange(3).numpy().tolist() == [0, 1, 2]
    assert ops.arange(3.0).dtype == "float32"
    assert ops.arange(1, 7, 2).numpy().tolist() == [1, 3, 5]
    assert ops.arange(0, 1, 0.5).numpy().tolist() == [0.0, 0.5]
    assert ops.arange(3, dtype="float64").dtype == "float64"
    np.testing.assert_allclose(ops.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert ops.linspace(0, 1, 5).dtype == "float32"
    values, step = ops.linspace(0, 1, 5, retstep=True)
    assert step == 0.25 and values.shape == (5,)


def test_creation_ops_explain_a_bad_shape():
    with pytest.raises(ValueError, match=r"ops.zeros: `shape` must be a tuple of non-negative ints.*\(2, -1\)"):
        ops.zeros((2, -1))
    with pytest.raises(ValueError, match="ops.ones.*'abc'"):
        ops.ones("abc")


def test_returned_values_are_tensors():
    for value in [ops.zeros(2), ops.arange(2), ops.eye(2), ops.full((1,), 1.0), ops.cast([1], "float32")]:
        assert isinstance(value, Tensor)
