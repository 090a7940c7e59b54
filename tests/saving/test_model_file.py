"""Model files: round trips, resumed training, refusal of bad files, atomic writes."""

import os
import pathlib
import zipfile

import numpy as np
import pytest

import mlkit
from mlkit import layers, saving

x = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
y = (x.sum(axis=1) > 0).astype("int64")


def make_model():
    model = mlkit.Sequential([
        mlkit.Input(shape=(6,)),
        layers.Dense(8, activation="relu", kernel_regularizer=mlkit.regularizers.l2(0.01)),
        layers.BatchNormalization(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_save_load_gives_identical_predictions_and_identical_continued_training(tmp_path):
    model = make_model()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = saving.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.optimizer.iterations.numpy() == model.optimizer.iterations.numpy() == 12
    mlkit.utils.set_random_seed(3)
    continued = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"]
    mlkit.utils.set_random_seed(3)
    resumed = restored.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"]
    assert continued == resumed
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_model_round_trip(tmp_path):
    a, b = mlkit.Input(shape=(3,)), mlkit.Input(shape=(2,))
    out = layers.Dense(1)(layers.Dense(4, activation="tanh")(a) * 2.0 + layers.Dense(4)(b))
    model = mlkit.Model([a, b], out)
    model.save(tmp_path / "f.keras")
    restored = saving.load_model(tmp_path / "f.keras")
    inputs = [np.ones((2, 3), "float32"), np.ones((2, 2), "float32")]
    np.testing.assert_array_equal(restored.predict(inputs, verbose=0), model.predict(inputs, verbose=0))


@saving.register_keras_serializable(package="Tests")
class Scaler(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


def test_registered_custom_layer_round_trips(tmp_path):
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), Scaler(3.0), layers.Dense(1)])
    model.save(tmp_path / "c.keras")
    restored = saving.load_model(tmp_path / "c.keras")
    assert isinstance(restored.layers[0], Scaler) and restored.layers[0].factor == 3.0


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    model = mlkit.Sequential([mlkit.Input(shape=(2,)), Doubler()])
    model.save(tmp_path / "u.keras")
    with pytest.raises(TypeError, match="Doubler.*custom_objects"):
        saving.load_model(tmp_path / "u.keras")
    restored = saving.load_model(tmp_path / "u.keras", custom_objects={"Doubler": Doubler})
    assert isinstance(restored.layers[0], Doubler)


def test_lambda_layers_are_refused_unless_safe_mode_is_off(tmp_path):
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), layers.Lambda(lambda t: t * 5)])
    model.save(tmp_path / "l.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.load_model(tmp_path / "l.keras")
    restored = saving.load_model(tmp_path / "l.keras", safe_mode=False)
    np.testing.assert_array_equal(restored.predict(np.ones((1, 2)), verbose=0), [[5.0, 5.0]])


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign_zip", "bad_json"])
def test_damaged_or_foreign_files_are_refused_clearly(tmp_path, damage):
    path = tmp_path / "m.keras"
    make_model().save(path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a model" * 100)
    elif damage == "foreign_zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "hi")
    else:
        with zipfile.ZipFile(path) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        parts["config.json"] = b"{broken"
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in parts.items():
                archive.writestr(name, content)
    with pytest.raises(ValueError, match="m.keras"):
        saving.load_model(path)


def test_a_crash_mid_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model = make_model()
    model.save(path)
    before = path.read_bytes()
    model.fit(x, y, epochs=1, verbose=0)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind
    saving.load_model(path)


def test_pretrained_weights_load_into_a_separately_built_model(tmp_path):
    # Seed 004 §4.1.1: build the architecture, then load pretrained weights.
    def architecture():
        return mlkit.Sequential([
            layers.Dense(64, activation="relu", input_shape=(20,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])

    trained = architecture()
    trained.save_weights(tmp_path / "pretrained.weights.h5")
    fresh = architecture()
    fresh.load_weights(tmp_path / "pretrained.weights.h5")
    data = np.random.rand(4, 20).astype("float32")
    np.testing.assert_array_equal(fresh.predict(data, verbose=0), trained.predict(data, verbose=0))

    different = mlkit.Sequential([layers.Dense(64, input_shape=(20,)), layers.Dense(11)])
    before = [w.copy() for w in different.get_weights()]
    with pytest.raises(ValueError, match="architecture"):
        different.load_weights(tmp_path / "pretrained.weights.h5")
    for got, expected in zip(different.get_weights(), before):
        np.testing.assert_array_equal(got, expected)  # nothing half-loaded


def test_weights_file_names_are_checked():
    model = make_model()
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights("weights.bin")
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save("model.h5")


def test_files_of_mlkit_0_1_still_load(tmp_path):
    old = pathlib.Path(__file__).parent / "fixtures" / "mlkit_0_1"
    inputs, expected = np.load(old / "inputs.npy"), np.load(old / "predictions.npy")
    restored = saving.load_model(old / "old.keras")
    np.testing.assert_allclose(restored.predict(inputs, verbose=0), expected, rtol=1e-6)
    assert int(restored.optimizer.iterations.numpy()) == 4
    rebuilt = mlkit.Sequential([mlkit.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                                layers.BatchNormalization(), layers.Dense(2)])
    rebuilt.load_weights(old / "old.weights.npz")
    np.testing.assert_allclose(rebuilt.predict(inputs, verbose=0), expected, rtol=1e-6)
    # Saving again converts them to the formats Keras reads.
    restored.save(tmp_path / "converted.keras")
    with zipfile.ZipFile(tmp_path / "converted.keras") as archive:
        assert "model.weights.h5" in archive.namelist()
