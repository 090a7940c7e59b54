"""mlkit.config gathers the global settings under keras.config's names."""

import pytest

import mlkit
from mlkit import layers


def test_floatx_sets_the_dtype_of_new_layers_and_tensors():
    mlkit.config.set_floatx("float64")
    try:
        assert mlkit.ops.ones((2,)).dtype == "float64"
        assert layers.Dense(2).dtype == "float64"
    finally:
        mlkit.config.set_floatx("float32")
    assert layers.Dense(2).dtype == "float32"
    with pytest.raises(ValueError, match="float32"):
        mlkit.config.set_floatx("float8")


def test_dtype_policy_mixed_float16_splits_compute_and_variable_dtypes():
    mlkit.config.set_dtype_policy("mixed_float16")
    try:
        dense = layers.Dense(2)
        assert (dense.compute_dtype, dense.variable_dtype) == ("float16", "float32")
        out = dense(mlkit.ops.ones((1, 3)))
        assert out.dtype == "float16" and dense.kernel.numpy().dtype == "float32"
    finally:
        mlkit.config.set_dtype_policy("float32")
    assert mlkit.config.dtype_policy().name == "float32"
    assert layers.Dense(2).compute_dtype == "float32"


def test_unsafe_deserialization_is_one_switch():
    from mlkit.saving.serialization import in_safe_mode, _unsafe

    assert in_safe_mode()
    mlkit.config.enable_unsafe_deserialization()
    try:
        assert not in_safe_mode()
    finally:
        _unsafe["enabled"] = False
