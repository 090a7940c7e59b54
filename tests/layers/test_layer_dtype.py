"""Layer dtypes: policies, input autocasting and mixed precision ('mixed_float16')."""

import numpy as np
import pytest

from mlkit import GradientTape, dtype_policies, layers, ops
from mlkit.dtype_policies import DTypePolicy


@pytest.fixture
def restore_policy():
    yield
    dtype_policies.set_dtype_policy("float32")


def test_dtype_as_string_or_policy():
    by_name = layers.Dense(2, dtype="float64")
    by_policy = layers.Dense(2, dtype=DTypePolicy("float64"))
    for layer in (by_name, by_policy):
        assert layer.dtype == layer.variable_dtype == layer.compute_dtype == layer.input_dtype == "float64"
        assert layer.dtype_policy == DTypePolicy("float64")
    by_name(np.ones((1, 3), "float32"))
    assert by_name.kernel.dtype == "float64"


def test_default_policy_is_float32_and_can_be_changed_globally(restore_policy):
    assert layers.Dense(2).dtype_policy.name == "float32"
    dtype_policies.set_dtype_policy("mixed_float16")
    assert dtype_policies.dtype_policy() == DTypePolicy("mixed_float16")
    assert layers.Dense(2).compute_dtype == "float16"
    assert layers.Dense(2, dtype="float32").compute_dtype == "float32"
    with pytest.raises(ValueError, match="set_dtype_policy expects"):
        dtype_policies.set_dtype_policy(3)


def test_float_inputs_are_cast_to_the_compute_dtype_and_others_are_not():
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs):
            seen.append([x.dtype for x in inputs])
            return inputs

    data = [np.zeros(1, "float64"), np.zeros(1, "int32"), ops.zeros((1,), "float16")]
    Spy()(data)
    Spy(dtype="float64")(data)
    Spy(autocast=False)(data)
    assert seen == [
        ["float32", "int32", "float32"],
        ["float64", "int32", "float64"],
        ["float64", "int32", "float16"],
    ]


def test_mixed_float16_dense():
    dense = layers.Dense(3, dtype="mixed_float16", kernel_initializer="ones")
    y = dense(np.full((2, 4), 0.5, "float32"))
    assert (dense.compute_dtype, dense.variable_dtype) == ("float16", "float32")
    assert dense.kernel.dtype == "float32" and dense.bias.dtype == "float32"
    assert y.dtype == "float16"
    np.testing.assert_array_equal(y.numpy(), np.full((2, 3), 2.0, "float16"))


def test_mixed_variables_are_read_in_float16_inside_call_only():
    seen = []

    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.fixed = self.add_weight(shape=(), initializer="ones", autocast=False)

        def call(self, inputs):
            seen.append((self.w.dtype, self.fixed.dtype, (inputs * self.w).dtype))
            return inputs * self.w

    layer = Scale(dtype="mixed_float16")
    layer(np.ones((1, 2)))
    assert seen == [("float16", "float32", "float16")]
    assert layer.w.dtype == "float32"


def test_mixed_precision_gradient_reaches_the_float32_variables():
    dense = layers.Dense(1, dtype="mixed_float16", kernel_initializer="ones")
    x = np.array([[1.0, 2.0]], "float32")
    with GradientTape() as tape:
        loss = ops.sum(dense(x) * 3.0)
    grad_kernel, grad_bias = tape.gradient(loss, [dense.kernel, dense.bias])
    assert grad_kernel.dtype == "float32" and grad_bias.dtype == "float32"
    np.testing.assert_allclose(grad_kernel.numpy(), [[3.0], [6.0]])
    np.testing.assert_allclose(grad_bias.numpy(), [3.0])


def test_nested_autocast_rules_follow_keras():
    """An int-policy or float32 inner layer reads float32; an autocast=False weight is not cast."""
    dtypes = {}

    class IntPolicy(layers.Layer):
        def __init__(self):
            super().__init__(dtype="int32")
            self.v = self.add_weight(shape=(), initializer="ones", dtype="float32")

        def call(self, x):
            dtypes["int_policy"] = self.v.dtype
            return ops.cast(x, "float32") + self.v

    class Float32(layers.Layer):
        def __init__(self):
            super().__init__(dtype="float32")
            self.v = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            dtypes["float32"] = self.v.dtype
            return x + self.v

    class MixedNoAutocast(layers.Layer):
        def __init__(self):
            super().__init__(dtype="mixed_float16")
            self.v = self.add_weight(shape=(), initializer="ones", autocast=False)

        def call(self, x):
            dtypes["no_autocast_weight"] = self.v.dtype
            return ops.add(x, self.v)

    class Mixed(layers.Layer):
        def __init__(self):
            super().__init__(dtype="mixed_float16")
            self.v = self.add_weight(shape=(), initializer="ones")
            self.one, self.two, self.three = IntPolicy(), Float32(), MixedNoAutocast()

        def call(self, x):
            dtypes["outer"] = self.v.dtype
            return self.three(self.two(self.one(x + self.v)))

    y = Mixed()(np.array(0.0))
    assert float(y) == 4.0
    assert dtypes == {"outer": "float16", "int_policy": "float32", "float32": "float32", "no_autocast_weight": "float32"}


def test_the_float32_path_opens_no_scope():
    seen = []

    class Probe(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            from mlkit.dtype_policies.autocast import get_autocast_dtype

            seen.append(get_autocast_dtype())
            return x * self.w

    Probe()(np.ones(2))
    assert seen == [None]


def test_dtype_policy_setter():
    dense = layers.Dense(2)
    dense.dtype_policy = "mixed_float16"
    assert dense.compute_dtype == "float16"
    assert dense(np.ones((1, 2))).dtype == "float16"


def test_policy_errors():
    with pytest.raises(TypeError, match="'name' must be a string"):
        DTypePolicy(32)
    with pytest.raises(ValueError, match="Cannot convert 'float33' to a DTypePolicy"):
        DTypePolicy("float33")
    with pytest.raises(ValueError, match="NumPy has no bfloat16"):
        layers.Dense(2, dtype="mixed_bfloat16")
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        layers.Dense(2, dtype=object())


def test_policy_serialization_round_trip():
    config = dtype_policies.serialize(DTypePolicy("mixed_float16"))
    assert config == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}, "registered_name": None}
    assert dtype_policies.deserialize(config) == DTypePolicy("mixed_float16")
    assert dtype_policies.get(config) == DTypePolicy("mixed_float16")
    assert dtype_policies.get({"name": "float64"}).compute_dtype == "float64"
    assert repr(DTypePolicy("float32")) == '<DTypePolicy "float32">'
    assert DTypePolicy("float32").quantization_mode is None
