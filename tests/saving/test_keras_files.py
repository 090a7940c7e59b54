"""Files travel both ways: Keras's own files load here, and mlkit writes Keras's layout.

The fixtures were written by real Keras 3 (fixtures/make_keras_fixtures.py); these
tests need no Keras. test_keras_live.py does the live round trips when Keras is there.
"""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import mlkit
from mlkit import saving

MODELS = ["cnn", "two_inputs", "lstm", "embedding_gru"]


def inputs_of(folder, name):
    with np.load(folder / f"{name}.inputs.npz") as stored:
        inputs = [stored[f"input_{index}"] for index in range(len(stored.files))]
    return inputs if len(inputs) > 1 else inputs[0]


@pytest.mark.parametrize("name", MODELS)
def test_a_keras_model_file_loads_with_the_predictions_keras_printed(keras_fixtures, name):
    model = saving.load_model(keras_fixtures / f"{name}.keras")
    expected = np.load(keras_fixtures / f"{name}.predictions.npy")
    np.testing.assert_allclose(model.predict(inputs_of(keras_fixtures, name), verbose=0), expected, rtol=1e-5, atol=1e-6)
    # Compiled as in Keras, with the optimizer's state after Keras's 2 training steps.
    assert model.optimizer is not None and int(model.optimizer.iterations.numpy()) == 2
    assert any(np.abs(variable.numpy()).sum() > 0 for variable in model.optimizer.variables[2:])


@pytest.mark.parametrize("name", MODELS)
def test_keras_weights_load_into_the_same_model_built_by_mlkit_code(keras_fixtures, zoo, name):
    model = zoo.build(mlkit, name)
    model.load_weights(keras_fixtures / f"{name}.weights.h5")
    expected = np.load(keras_fixtures / f"{name}.predictions.npy")
    np.testing.assert_allclose(model.predict(inputs_of(keras_fixtures, name), verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_a_keras_model_with_a_layer_mlkit_lacks_is_refused_naming_it(keras_fixtures, tmp_path):
    with pytest.raises(TypeError, match=r"Could not locate class 'Rescaling' \(at config\.layers\[1\] of config\.json\)"):
        saving.load_model(keras_fixtures / "rescaling.keras")


def test_keras_settings_mlkit_lacks_are_refused_when_turned_on(keras_fixtures, tmp_path):
    with zipfile.ZipFile(keras_fixtures / "cnn.keras") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(parts["config.json"])
    config["config"]["layers"][2]["config"]["renorm"] = True
    parts["config.json"] = json.dumps(config).encode()
    path = tmp_path / "renorm.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"BatchNormalization 'batch_normalization' uses the Keras setting renorm=True"):
        saving.load_model(path)


# -- what mlkit writes, against Keras's layout -------------------------------------------------
def group_tree(source):
    """{path of every group and dataset: (shape or None, the 'name' attribute or None)}."""
    tree = {}
    with h5py.File(source, "r") as store:
        store.visititems(lambda path, item: tree.__setitem__(
            path, (item.shape if isinstance(item, h5py.Dataset) else None, item.attrs.get("name"))))
    return tree


@pytest.mark.parametrize("name", MODELS)
def test_mlkit_writes_the_hdf5_groups_and_datasets_keras_writes(keras_fixtures, zoo, tmp_path, name):
    mlkit.utils.set_random_seed(0)
    model = zoo.build(mlkit, name)
    zoo.compile_and_train(model, name)
    model.save_weights(tmp_path / "m.weights.h5")
    mine, keras = group_tree(tmp_path / "m.weights.h5"), group_tree(keras_fixtures / f"{name}.weights.h5")
    # Same groups and datasets, same shapes; the optimizer's slots are where Keras keeps them.
    assert {path: shape for path, (shape, _) in mine.items()} == {path: shape for path, (shape, _) in keras.items()}
    assert {path for path, (_, owner) in mine.items() if owner is not None} == {
        path for path, (_, owner) in keras.items() if owner is not None}


def test_mlkit_model_files_hold_what_keras_reads(zoo, keras_fixtures, tmp_path):
    mlkit.utils.set_random_seed(0)
    model = zoo.build(mlkit, "cnn")
    zoo.compile_and_train(model, "cnn")
    model.save(tmp_path / "cnn.keras")
    with zipfile.ZipFile(tmp_path / "cnn.keras") as mine, zipfile.ZipFile(keras_fixtures / "cnn.keras") as keras:
        assert mine.namelist() == keras.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert set(json.loads(mine.read("metadata.json"))) >= {"keras_version", "date_saved"}
        config, keras_config = json.loads(mine.read("config.json")), json.loads(keras.read("config.json"))
        assert group_tree(io.BytesIO(mine.read("model.weights.h5"))).keys() == \
            group_tree(io.BytesIO(keras.read("model.weights.h5"))).keys()
    for key in ("module", "class_name", "registered_name", "build_config", "compile_config"):
        assert key in config
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    for layer, keras_layer in zip(config["config"]["layers"], keras_config["config"]["layers"]):
        assert (layer["module"], layer["class_name"]) == (keras_layer["module"], keras_layer["class_name"])
        assert layer["registered_name"] is None
        # Every key mlkit writes is one Keras writes (Keras may write more, for features mlkit lacks).
        assert set(layer["config"]) <= set(keras_layer["config"]), layer["class_name"]
    dense = config["config"]["layers"][-1]["config"]
    assert dense["kernel_initializer"]["module"] == "keras.initializers"
    assert dense["dtype"] == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                              "registered_name": None}
    compiled = config["compile_config"]
    assert set(compiled) == set(keras_config["compile_config"])
    assert (compiled["optimizer"]["module"], compiled["optimizer"]["class_name"]) == ("keras.optimizers", "Adam")


def test_a_functional_config_names_tensors_as_keras_does(zoo, keras_fixtures, tmp_path):
    zoo.build(mlkit, "two_inputs").save(tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as mine, zipfile.ZipFile(keras_fixtures / "two_inputs.keras") as keras:
        config, keras_config = json.loads(mine.read("config.json")), json.loads(keras.read("config.json"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        keras_config["module"], keras_config["class_name"], keras_config["registered_name"])
    for key in ("input_layers", "output_layers"):
        assert config["config"][key] == keras_config["config"][key]
    layers = {layer["name"]: layer for layer in config["config"]["layers"]}
    keras_layers = {layer["name"]: layer for layer in keras_config["config"]["layers"]}
    assert layers.keys() == keras_layers.keys()
    for name, layer in layers.items():
        assert layer["inbound_nodes"] == keras_layers[name]["inbound_nodes"], name
