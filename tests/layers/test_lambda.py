"""Lambda: a function as a layer, and its careful saving."""

import json

import numpy as np
import pytest

from mlkit import layers, ops, saving
from mlkit.saving.serialization import safe_mode_scope


def cube_plus(x, offset=0.0):
    return x**3 + offset


def test_calls_the_function_with_its_arguments():
    layer = layers.Lambda(cube_plus, arguments={"offset": 1.0})
    np.testing.assert_allclose(layer(np.array([[1.0, 2.0]])).numpy(), [[2.0, 9.0]])
    assert layer.weights == []


def test_training_and_mask_reach_a_function_that_asks_for_them():
    seen = []

    def spy(x, training=None, mask=None):
        seen.append((training, mask))
        return x

    layer = layers.Lambda(spy)
    layer(np.ones((1, 2)), training=True)
    layer(np.ones((1, 2)))
    assert seen == [(True, None), (None, None)]


def test_mask_argument():
    assert not layers.Lambda(cube_plus).supports_masking
    masked = layers.Lambda(cube_plus, mask=lambda inputs, mask: mask)
    assert masked.supports_masking and masked.compute_mask(None, "m") == "m"


def test_output_shape():
    assert layers.Lambda(lambda x: ops.sum(x, axis=-1)).compute_output_shape((None, 4)) == (None,)
    assert layers.Lambda(cube_plus, output_shape=(4,)).compute_output_shape((8, 4)) == (8, 4)
    assert layers.Lambda(cube_plus, output_shape=lambda s: s[:1]).compute_output_shape((8, 4)) == (8,)


def test_not_callable():
    with pytest.raises(TypeError, match=r"`function` must be callable, got int"):
        layers.Lambda(3)


def test_config_of_a_named_function_and_round_trip():
    layer = layers.Lambda(cube_plus, output_shape=(2,), arguments={"offset": 2.0}, name="cube")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"] == {
        "module": __name__, "class_name": "function", "config": "cube_plus", "registered_name": "cube_plus",
    }
    assert config["output_shape"] == [2] and config["arguments"] == {"offset": 2.0}
    assert "mask" not in config
    with pytest.raises(ValueError, match=r"Cannot load the Lambda function 'cube_plus'.*custom_objects=\{'cube_plus': cube_plus\}"):
        layers.Lambda.from_config(config)
    clone = layers.Lambda.from_config(config, custom_objects={"cube_plus": cube_plus})
    assert clone.name == "cube" and clone.compute_output_shape((5, 2)) == (5, 2)
    np.testing.assert_allclose(clone(np.array([[1.0, 2.0]])).numpy(), [[3.0, 10.0]])


def test_builtin_functions_load_by_name():
    config = layers.Lambda(ops.relu).get_config()
    clone = layers.Lambda.from_config(config)
    np.testing.assert_array_equal(clone(np.array([[-1.0, 1.0]])).numpy(), [[0.0, 1.0]])


def test_a_python_lambda_is_refused_in_safe_mode():
    config = layers.Lambda(lambda x: x * 2 + 1).get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match=r"Refusing to load a Lambda.*arbitrary code.*safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="Refusing"):
        saving.deserialize_keras_object(saving.serialize_keras_object(layers.Lambda(lambda x: x)))
    trusted = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_array_equal(trusted(np.array([[1.0]])).numpy(), [[3.0]])
    with safe_mode_scope(False):
        assert layers.Lambda.from_config(config)(np.array([[2.0]])).numpy()[0, 0] == 5.0


def test_a_closure_cannot_be_saved():
    scale = 3.0
    layer = layers.Lambda(lambda x: x * scale, name="scaler")
    np.testing.assert_array_equal(layer(np.ones((1, 1))).numpy(), [[3.0]])
    with pytest.raises(ValueError, match=r"Lambda 'scaler' uses a lambda that refers to variables.*arguments="):
        layer.get_config()


def test_arguments_must_be_saveable():
    layer = layers.Lambda(cube_plus, arguments={"offset": object()}, name="odd")
    with pytest.raises(TypeError, match=r"The `arguments` of Lambda 'odd' cannot be saved: Cannot serialize <object"):
        layer.get_config()
