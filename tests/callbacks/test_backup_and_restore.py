"""BackupAndRestore: a training killed mid-epoch resumes and ends bit-identical."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlkit
from mlkit import callbacks, layers

TRAINING = textwrap.dedent(
    """
    import json, os, signal, sys
    import numpy as np
    import mlkit
    from mlkit import callbacks, layers

    mode, backup_dir, result = sys.argv[1:4]
    mlkit.utils.set_random_seed(7)
    (x, y), _ = mlkit.datasets.digits.load_data()
    x = (x.reshape(len(x), -1)[:320] / 16).astype("float32")
    y = y[:320]
    model = mlkit.Sequential([
        mlkit.Input(shape=(64,)),
        layers.Dense(24, activation="relu"),
        layers.Dropout(0.2),   # draws from its own SeedGenerator
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=mlkit.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])

    class KillMidEpoch(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 3 and batch == 4:
                os.kill(os.getpid(), signal.SIGKILL)

    begun = []
    hooks = [
        callbacks.BackupAndRestore(backup_dir),
        callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.8),
        callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: begun.append(epoch)),
    ]
    if mode == "kill":
        hooks.append(KillMidEpoch())
    history = model.fit(x, y, batch_size=32, epochs=6, validation_split=0.25, shuffle=True,
                        verbose=0, callbacks=hooks)
    np.savez(result + ".npz", *model.get_weights(), *[v.numpy() for v in model.optimizer.variables])
    with open(result + ".json", "w") as file:
        json.dump({"history": history.history, "epoch": history.epoch, "run_here": begun}, file)
    """
)


def run(script, *args):
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_a_run_killed_mid_epoch_resumes_and_ends_like_an_uninterrupted_one(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    backup = tmp_path / "backup"

    uninterrupted = run(script, "full", tmp_path / "unused", tmp_path / "full")
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    killed = run(script, "kill", backup, tmp_path / "killed")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert os.listdir(backup) == ["latest.backup"]  # epochs 0-2 completed and backed up
    resumed = run(script, "resume", backup, tmp_path / "resumed")
    assert resumed.returncode == 0, resumed.stderr

    with np.load(tmp_path / "full.npz") as full, np.load(tmp_path / "resumed.npz") as again:
        assert len(full.files) == len(again.files) == 4 + 2 + 2 * 4  # weights, iteration + rate, Adam slots
        for name in full.files:
            np.testing.assert_array_equal(again[name], full[name])  # bit-identical
        assert int(again["arr_4"]) == 6 * 8  # iterations: 6 epochs of 8 batches
        assert float(again["arr_5"]) == pytest.approx(0.01 * 0.8**6, rel=1e-6)  # the scheduled rate
    full_record = json.loads((tmp_path / "full.json").read_text())
    resumed_record = json.loads((tmp_path / "resumed.json").read_text())
    assert full_record.pop("run_here") == [0, 1, 2, 3, 4, 5]
    assert resumed_record.pop("run_here") == [3, 4, 5]  # it did resume: epochs 0-2 were not run again
    assert resumed_record == full_record  # the whole history, every epoch
    assert full_record["epoch"] == [0, 1, 2, 3, 4, 5] and len(full_record["history"]["val_loss"]) == 6
    assert not backup.exists()  # deleted at the end of the completed training


def build(seed=5):
    mlkit.utils.set_random_seed(seed)
    model = mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=mlkit.optimizers.RMSprop(0.01), loss="mse")
    return model


class FailAt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.fail_epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.fail_epoch:
            raise RuntimeError("interrupted")


def test_in_one_process_fit_starts_again_at_the_first_epoch_not_completed(tmp_path, regression_data):
    x, y = regression_data
    reference = build()
    expected = reference.fit(x, y, batch_size=4, epochs=5, verbose=0)

    backup = callbacks.BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)
    model = build()
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[backup, FailAt(3)])
    fresh = build(seed=99)  # other initial weights: they must all be replaced
    epochs_run = []
    history = fresh.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[
        backup, callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs_run.append(epoch))])
    assert epochs_run == [3, 4]
    assert history.epoch == [0, 1, 2, 3, 4] and history.history == expected.history
    for got, want in zip(fresh.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert int(fresh.optimizer.iterations.numpy()) == 10
    assert os.listdir(tmp_path / "backup") == ["latest.backup"]  # kept: delete_checkpoint=False


def test_only_its_own_files_are_deleted(tmp_path, regression_data):
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    build().fit(*regression_data, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(folder)])
    assert os.listdir(folder) == ["notes.txt"]


def test_a_corrupted_backup_is_refused_or_replaced_by_the_previous_one(tmp_path, regression_data):
    x, y = regression_data
    folder = tmp_path / "backup"
    backup = callbacks.BackupAndRestore(folder, double_checkpoint=True, delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        build().fit(x, y, epochs=5, verbose=0, callbacks=[backup, FailAt(3)])
    assert sorted(os.listdir(folder)) == ["latest.backup", "previous.backup"]
    (folder / "latest.backup").write_bytes(b"garbage")
    epochs_run = []
    build().fit(x, y, epochs=5, verbose=0, callbacks=[
        backup, callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs_run.append(epoch))])
    assert epochs_run == [2, 3, 4]  # the previous backup: after epoch 1

    (folder / "latest.backup").write_bytes(b"garbage")
    (folder / "previous.backup").unlink()
    single = callbacks.BackupAndRestore(folder)
    with pytest.raises(ValueError, match="Delete that folder") as error:
        build().fit(x, y, epochs=5, verbose=0, callbacks=[single])
    assert "BackupAndRestore in on_train_begin()" in error.value.__notes__[0]


def test_restoring_into_an_unbuilt_model_explains_how_to_build_it(tmp_path, regression_data):
    x, y = regression_data
    backup = callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    build().fit(x, y, epochs=1, verbose=0, callbacks=[backup])
    unbuilt = mlkit.Sequential([layers.Dense(4), layers.Dense(1)])
    unbuilt.compile(optimizer="rmsprop", loss="mse")
    with pytest.raises(ValueError, match=r"must be built before you call fit\(\)"):
        unbuilt.fit(x, y, epochs=2, verbose=0, callbacks=[backup])


def test_it_runs_after_history_so_the_backup_holds_the_whole_epoch():
    backup, history, other = callbacks.BackupAndRestore("unused"), callbacks.History(), callbacks.CSVLogger("x.csv")
    hooks = callbacks.CallbackList([backup, other], add_history=True, add_progbar=True)
    assert [type(c).__name__ for c in hooks.callbacks] == ["CSVLogger", "History", "BackupAndRestore", "ProgbarLogger"]
    hooks = callbacks.CallbackList([history, backup, other], add_history=True)
    assert hooks.callbacks == [history, backup, other]


def test_bad_arguments():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore("dir", save_freq="batch")


def test_save_freq_in_batches_backs_up_mid_epoch(tmp_path, regression_data):
    x, y = regression_data
    folder = tmp_path / "backup"
    backup = callbacks.BackupAndRestore(folder, save_freq=3, delete_checkpoint=False)
    stop = FailAt(1)
    with pytest.raises(RuntimeError):
        build().fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=[backup, stop])
    from mlkit.saving import read_archive

    metadata = json.loads(read_archive(folder / "latest.backup", ["metadata.json"], "backup")["metadata.json"])
    # 4 batches in epoch 0: a backup after its 3rd batch (index 2); epoch 0 not completed then.
    assert (metadata["epoch"], metadata["batch"]) == (0, 2)
