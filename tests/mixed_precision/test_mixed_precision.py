"""mlkit/mixed_precision: Keras's names for the global dtype policy, and top-level mlkit.DTypePolicy."""

import doctest

import numpy as np
import pytest

import mlkit
from mlkit import layers, mixed_precision, ops


@pytest.fixture(autouse=True)
def restore_policy():
    yield
    mixed_precision.set_global_policy("float32")


def test_set_global_policy_makes_new_layers_mixed_and_they_train():
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy() == mlkit.DTypePolicy("mixed_float16")
    model = mlkit.Sequential([mlkit.Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    assert model.layers[0].kernel.dtype == "float32"
    assert model(np.ones((2, 4), np.float32)).dtype == "float16"
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model.compile(optimizer=mlkit.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5


def test_the_keras_names_are_the_same_objects():
    assert mixed_precision.Policy is mlkit.DTypePolicy is mlkit.dtype_policies.DTypePolicy
    assert mixed_precision.set_dtype_policy is mlkit.dtype_policies.set_dtype_policy
    mixed_precision.set_dtype_policy("float64")
    assert mixed_precision.dtype_policy().compute_dtype == "float64"
    assert layers.Dense(1).compute_dtype == "float64"
    with pytest.raises(ValueError, match="mixed_float16"):
        mixed_precision.set_global_policy("mixed_int8")


def test_docstring_examples():
    assert doctest.testmod(mixed_precision).failed == 0
