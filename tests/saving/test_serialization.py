"""Configs as JSON and back: serialize/deserialize_keras_object and the registry."""

import json

import numpy as np
import pytest

from mlkit import initializers, layers, ops, saving
from mlkit.saving import serialization


def test_plain_values_pass_through():
    for value in (None, 3, 2.5, "relu", True, [1, "a"], {"k": [1, 2]}):
        assert saving.serialize_keras_object(value) == value
    assert saving.serialize_keras_object((1, 2)) == (1, 2)


def test_arrays_tensors_and_bytes_round_trip():
    array = np.arange(6, dtype="int32").reshape(2, 3)
    config = saving.serialize_keras_object(array)
    assert config == {"class_name": "__numpy__", "config": {"value": [[0, 1, 2], [3, 4, 5]], "dtype": "int32"}}
    back = saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert back.dtype == np.int32 and np.array_equal(back, array)
    tensor = saving.deserialize_keras_object(saving.serialize_keras_object(ops.ones((2,), "float16")))
    assert isinstance(tensor, ops.Tensor) and tensor.dtype == "float16"
    assert saving.serialize_keras_object(np.float32(0.5)) == 0.5
    assert saving.deserialize_keras_object(saving.serialize_keras_object(b"abc")) == b"abc"


def test_a_builtin_layer_round_trips_through_json():
    dense = layers.Dense(3, activation="relu", kernel_initializer=initializers.HeNormal(seed=1), name="head")
    config = json.loads(json.dumps(saving.serialize_keras_object(dense)))
    assert config["class_name"] == "Dense" and config["registered_name"] is None
    assert config["module"] == "keras.layers"  # where Keras finds the class
    clone = saving.deserialize_keras_object(config)
    assert isinstance(clone, layers.Dense) and clone.get_config() == dense.get_config()


def test_lookup_never_imports_the_module_a_config_names():
    config = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}
    with pytest.raises(TypeError, match=r"Could not locate class 'system'.*custom_objects="):
        saving.deserialize_keras_object(config)


def test_only_classes_made_to_be_saved_are_found(tmp_path):
    # CSVLogger is an mlkit class, but not one a config may name: it opens files.
    config = {"module": "mlkit.callbacks", "class_name": "CSVLogger",
              "config": {"filename": str(tmp_path / "written.csv")}, "registered_name": None}
    with pytest.raises(TypeError, match="Could not locate class 'CSVLogger'"):
        saving.deserialize_keras_object(config)
    assert list(tmp_path.iterdir()) == []


def test_register_keras_serializable_and_custom_objects():
    @saving.register_keras_serializable(package="Course")
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    assert saving.get_registered_name(Twice) == "Course>Twice"
    assert saving.get_custom_objects()["Course>Twice"] is Twice
    config = saving.serialize_keras_object(Twice(name="twice"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (__name__, "Twice", "Course>Twice")
    assert isinstance(saving.deserialize_keras_object(config), Twice)

    class Local(layers.Layer):
        def call(self, x):
            return x

    local_config = saving.serialize_keras_object(Local(name="local"))
    assert local_config["registered_name"] == "Local"
    with pytest.raises(TypeError, match=r"Could not locate class 'Local'.*custom_objects=\{'Local': Local\}"):
        saving.deserialize_keras_object(local_config)
    assert saving.deserialize_keras_object(local_config, custom_objects={"Local": Local}).name == "local"
    with saving.custom_object_scope({"Local": Local}):
        assert isinstance(saving.deserialize_keras_object(local_config), Local)


def test_registering_a_function():
    @saving.register_keras_serializable(package="Course")
    def halve(x):
        return x / 2

    assert saving.get_registered_name(halve) == "Course>halve"
    assert saving.get_registered_object("Course>halve") is halve


def test_register_requires_get_config_for_classes():
    with pytest.raises(ValueError, match="has no get_config"):
        saving.register_keras_serializable()(type("Plain", (), {}))


def test_objects_without_get_config_are_refused():
    with pytest.raises(TypeError, match=r"Cannot serialize .* of type set.*get_config"):
        saving.serialize_keras_object({1, 2})


def test_check_json_names_the_place():
    with pytest.raises(TypeError, match=r"The settings of X is not JSON-serializable.*\.tolist\(\)"):
        serialization.check_json({"a": object()}, "The settings of X")


def test_malformed_configs():
    with pytest.raises(ValueError, match="expected a dict with 'class_name' and 'config'"):
        saving.deserialize_keras_object({"name": "dense"})


def test_safe_mode_defaults_to_safe_and_scopes_nest():
    assert serialization.in_safe_mode() is True
    assert serialization.in_safe_mode(False) is False
    with serialization.safe_mode_scope(False):
        assert serialization.in_safe_mode() is False
        with serialization.safe_mode_scope(True):
            assert serialization.in_safe_mode() is True
    assert serialization.in_safe_mode() is True
