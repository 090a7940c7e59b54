"""ModelCheckpoint: file names, save_best_only, weights-only files, and atomic writes."""

import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import mlkit
from mlkit import callbacks


class ScriptedValidation(callbacks.Callback):
    """Replaces val_loss with scripted values (runs before the checkpoint)."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_file_names_are_filled_from_the_epoch_and_the_logs(tmp_path, tiny_model, regression_data):
    x, y = regression_data
    template = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras")
    history = tiny_model().fit(x, y, validation_data=(x, y), epochs=3, verbose=0,
                               callbacks=[callbacks.ModelCheckpoint(template)])
    expected = {f"{epoch + 1:02d}-{value:.2f}.keras" for epoch, value in enumerate(history.history["val_loss"])}
    assert set(os.listdir(tmp_path / "ckpt")) == expected
    restored = mlkit.saving.load_model(tmp_path / "ckpt" / sorted(expected)[-1])
    assert restored.optimizer.iterations.numpy() == 3


def test_save_best_only_saves_at_improvements_only(tmp_path, tiny_model, regression_data, capsys):
    template = str(tmp_path / "{epoch}.keras")
    checkpoint = callbacks.ModelCheckpoint(template, save_best_only=True, verbose=1)
    tiny_model().fit(*regression_data, epochs=5, verbose=0,
                     callbacks=[ScriptedValidation([0.9, 0.7, 0.8, 0.6, 0.6]), checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["1.keras", "2.keras", "4.keras"]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 0.90000, saving model to" in out
    assert "Epoch 3: val_loss did not improve from 0.70000" in out
    assert "Epoch 5: val_loss did not improve from 0.60000" in out  # equal is not better


def test_initial_value_threshold_is_the_value_to_beat_first(tmp_path, tiny_model, regression_data):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}.keras"), save_best_only=True,
                                           initial_value_threshold=0.75)
    tiny_model().fit(*regression_data, epochs=3, verbose=0,
                     callbacks=[ScriptedValidation([0.9, 0.8, 0.7]), checkpoint])
    assert os.listdir(tmp_path) == ["3.keras"]


def test_mode_max_and_a_single_file_overwritten_by_better_models(tmp_path, tiny_model, regression_data):
    path = tmp_path / "best.keras"
    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_score", mode="max", save_best_only=True)
    weights_at = {}

    class Score(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_score"] = [0.1, 0.5, 0.3][epoch]
            weights_at[epoch] = self.model.get_weights()

    tiny_model().fit(*regression_data, epochs=3, verbose=0, callbacks=[Score(), checkpoint])
    restored = mlkit.saving.load_model(path)
    for got, expected in zip(restored.get_weights(), weights_at[1]):
        np.testing.assert_array_equal(got, expected)


def test_weights_only_files_load_into_a_model(tmp_path, tiny_model, regression_data):
    model = tiny_model()
    path = tmp_path / "model.weights.h5"
    model.fit(*regression_data, epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(path, save_weights_only=True)])
    other = tiny_model()
    other.load_weights(path)
    for got, expected in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_save_freq_in_batches_fills_in_the_batch(tmp_path, tiny_model, regression_data):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=3)
    tiny_model().fit(*regression_data, batch_size=2, epochs=2, verbose=0, callbacks=[checkpoint])
    # 4 batches an epoch, every 3rd batch overall: batch 3 of epoch 1, then 2 of epoch 2.
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.keras", "e2-b2.keras"]


def test_a_missing_monitor_with_save_best_only_warns_and_saves(tmp_path, tiny_model, regression_data):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="val_loss", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        tiny_model().fit(*regression_data, epochs=1, verbose=0, callbacks=[checkpoint])
    assert os.path.exists(tmp_path / "m.keras")


def test_bad_arguments_get_clear_errors(tmp_path, tiny_model, regression_data):
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        callbacks.ModelCheckpoint("model.weights.h5")
    with pytest.raises(ValueError, match="HDF5"):
        callbacks.ModelCheckpoint("model.h5")
    with pytest.raises(ValueError, match="save_weights_only=True"):
        callbacks.ModelCheckpoint("model.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("model.keras", save_freq="batch")
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath") as error:
        tiny_model().fit(*regression_data, epochs=1, verbose=0, callbacks=[checkpoint])
    assert "'val_acc' is not in the logs (available: epoch, batch, loss)" in error.value.args[0]


def test_a_crash_during_a_save_leaves_the_previous_checkpoint_intact(tmp_path, tiny_model, regression_data, monkeypatch):
    path = tmp_path / "model.keras"
    model = tiny_model()
    model.fit(*regression_data, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    before = path.read_bytes()
    weights_before = model.get_weights()

    original = zipfile.ZipFile.writestr

    def disk_full(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":  # the config is written, the weights fail
            raise OSError(28, "No space left on device")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with pytest.raises(OSError, match="No space left") as error:
        model.fit(*regression_data, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path)])
    assert "ModelCheckpoint in on_epoch_end(epoch=0)" in error.value.__notes__[0]
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.keras"]  # the temporary file was removed
    for got, expected in zip(mlkit.saving.load_model(path).get_weights(), weights_before):
        np.testing.assert_array_equal(got, expected)


KILLED_DURING_SAVE = textwrap.dedent(
    """
    import os, signal, sys, zipfile
    import numpy as np
    import mlkit
    from mlkit import callbacks, layers

    folder = sys.argv[1]
    mlkit.utils.set_random_seed(3)
    model = mlkit.Sequential([mlkit.Input(shape=(16,)), layers.Dense(64), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 16)).astype("float32")
    saves = {"count": 0}
    original = zipfile.ZipFile.writestr

    def write_then_die(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":
            saves["count"] += 1
            if saves["count"] == 3:  # the third save: half of the weights, then SIGKILL
                original(self, name, data[: len(data) // 2], *args, **kwargs)
                self.fp.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        return original(self, name, data, *args, **kwargs)

    zipfile.ZipFile.writestr = write_then_die

    class KeepWeights(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            np.savez(os.path.join(folder, f"weights-{epoch}.npz"), *self.model.get_weights())

    path = os.path.join(folder, "model.keras")
    model.fit(x, x[:, :1], epochs=5, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(path), KeepWeights()])
    """
)


def test_a_process_killed_during_a_save_leaves_the_previous_checkpoint_loadable(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(KILLED_DURING_SAVE)
    run = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1  # the half-written temporary file, never renamed
    restored = mlkit.saving.load_model(tmp_path / "model.keras")
    with np.load(tmp_path / "weights-1.npz") as saved:  # the second save (epoch 2) is intact
        for index, weight in enumerate(restored.get_weights()):
            np.testing.assert_array_equal(weight, saved[f"arr_{index}"])
