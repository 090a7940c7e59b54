"""Identity (mlkit/layers/core/identity.py): returns its input unchanged."""

import json

import numpy as np

from mlkit import ops
from mlkit.layers.core.identity import Identity
from mlkit.utils.gradient_check import check_gradients


def test_identity_returns_its_input_tensor_itself():
    x = ops.convert_to_tensor(np.arange(6.0, dtype="float32").reshape(2, 3))
    layer = Identity()
    assert layer(x) is x
    assert layer.built and layer.weights == []


def test_identity_passes_lists_and_dicts_through():
    a, b = ops.ones((2, 3)), ops.zeros((2, 1))
    out = Identity()([a, b])
    assert out[0] is a and out[1] is b
    out = Identity()({"left": a, "right": b})
    assert out["left"] is a and out["right"] is b


def test_identity_converts_arrays_like_any_layer():
    x = np.arange(4.0).reshape(2, 2)  # float64 becomes the compute dtype
    out = Identity()(x)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), x)


def test_identity_gradient_is_one():
    x = np.random.default_rng(0).normal(size=(3, 4))
    layer = Identity(dtype="float64")
    check_gradients(lambda t: layer(t), [x])


def test_identity_output_shape_and_config():
    layer = Identity(name="placeholder")
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer.compute_output_shape([(None, 3), (None, 5)]) == [(None, 3), (None, 5)]
    config = json.loads(json.dumps(layer.get_config()))
    assert config["name"] == "placeholder"
    clone = Identity.from_config(config)
    assert clone.get_config() == layer.get_config()
