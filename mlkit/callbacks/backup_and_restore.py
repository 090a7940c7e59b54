"""`BackupAndRestore`: resume a `fit` that was interrupted, as if it never was.

At the end of every epoch (or every `save_freq` batches) the callback writes
the whole training state to `backup_dir/latest.backup`: the weights, the
optimizer's state (its iteration count, learning rate and slots), the number
of epochs completed and the history so far. When `fit` starts again with the
same callback — in a new process after a crash, a kill or a closed
notebook — it loads that state and `fit` continues from the next epoch. When
`fit` completes, the backup is deleted (unless `delete_checkpoint=False`).

    >>> from mlkit import callbacks
    >>> backup = callbacks.BackupAndRestore(backup_dir="/tmp/digits-backup")
    >>> # model.fit(x, y, epochs=20, callbacks=[backup])   # killed during epoch 7
    >>> # model.fit(x, y, epochs=20, callbacks=[backup])   # runs epochs 7 to 19

Each backup is written to a temporary file and renamed into place only when
complete, so a kill during a save leaves the previous backup intact. With
`double_checkpoint=True` the previous backup is kept as well and used if the
latest one cannot be read.

mlkit extensions (Keras restores the weights, optimizer state and epoch):

- the history is restored too, so the `History` of the resumed run holds
  every epoch, like an uninterrupted run's;
- the random generators' states are restored (the global one and every
  layer's `SeedGenerator`), so with the default `shuffle=True` (and dropout)
  the resumed run draws the same batches as an uninterrupted one: with a
  seeded run (`mlkit.utils.set_random_seed`), resuming after an epoch ends
  gives bit-identical weights;
- in a `CallbackList`, this callback runs its epoch-end backup after the
  other callbacks and `History` (the list places it there), so the backup
  includes what they change at the end of the epoch (e.g. a reduced
  learning rate, `logs["learning_rate"]`);
- only the files it wrote are deleted at the end, never other files in
  `backup_dir`.

With `save_freq=<n>` (a backup every n batches) a restart redoes the epoch
that was interrupted, starting from the weights of the last backup, as in
Keras: resumption is then exact only at epoch boundaries.
"""

import json
import os
import zipfile

import numpy as np

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.save_frequency import BatchCounter
from mlkit.random import SeedGenerator, global_generator
from mlkit.saving import (
    AtomicFile,
    arrays_to_npz_bytes,
    assign_in_order,
    npz_bytes_to_arrays,
    read_archive,
    read_json,
)

FORMAT = "mlkit.backup/1"


def _plain(value):
    """A log value as something JSON can hold (floats survive exactly)."""
    data = np.asarray(getattr(value, "data", value))
    if data.ndim == 0 and np.issubdtype(data.dtype, np.number):
        return data.item()
    if np.issubdtype(data.dtype, np.number):
        return data.tolist()
    return str(value)


def _seed_generators(model):
    found = []
    for layer in model._flatten_layers():
        found.extend(value for value in vars(layer).values() if isinstance(value, SeedGenerator))
    return found


class BackupAndRestore(Callback):
    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed: give the folder for the backup.")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                "Expected either 'epoch' or an integer value (a backup every that many batches)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, "latest.backup")
        self._previous_path = os.path.join(self.backup_dir, "previous.backup")
        self._batches = BatchCounter()
        self._current_epoch = 0

    # -- restoring ---------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._batches = BatchCounter()
        self._current_epoch = 0
        state = self._read_backup()
        if state is None:
            return
        metadata, arrays = state
        self._restore(metadata, arrays)
        self._current_epoch = metadata["epoch"]
        self.model._initial_epoch = metadata["epoch"]

    def _read_backup(self):
        """(metadata, arrays) of the latest readable backup, or None if there is none."""
        candidates = [self._backup_path]
        if self.double_checkpoint:
            candidates.append(self._previous_path)
        candidates = [path for path in candidates if os.path.exists(path)]
        first_error = None
        for path in candidates:
            try:
                parts = read_archive(path, ["metadata.json", "state.npz"], "backup")
                metadata = read_json(parts["metadata.json"], repr(path), "metadata.json")
                if metadata.get("format") != FORMAT:
                    raise ValueError(f"{path!r} has format {metadata.get('format')!r}, expected {FORMAT!r}.")
                return metadata, npz_bytes_to_arrays(parts["state.npz"], repr(path))
            except ValueError as error:
                first_error = first_error or error
        if first_error is not None:
            raise ValueError(
                f"BackupAndRestore could not read the backup in {self.backup_dir!r}: {first_error} "
                "Delete that folder to start training from scratch."
            ) from None
        return None

    def _restore(self, metadata, arrays):
        model = self.model
        if not model.built:
            raise ValueError(
                f"To use the BackupAndRestore callback, your model must be built before you call "
                f"fit(). Model {model.name!r} is unbuilt. Start it with mlkit.Input(shape=...), "
                "call model.build(input_shape), or call it once on a batch of data."
            )
        where = os.path.join(self.backup_dir, "latest.backup")
        weight_count = metadata["weight_count"]
        assign_in_order(model.weights, arrays[:weight_count], where, metadata.get("weight_paths"))
        optimizer_state = arrays[weight_count:]
        optimizer = getattr(model, "optimizer", None)
        if optimizer_state and optimizer is not None:
            if not optimizer.built:
                optimizer.build(model.trainable_variables)  # create the slots to load into
            assign_in_order(optimizer.variables, optimizer_state, where, None, what="optimizer variables")
        global_generator().bit_generator.state = metadata["random_state"]
        generators = _seed_generators(model)
        if len(generators) == len(metadata["seed_generator_states"]):
            for generator, saved in zip(generators, metadata["seed_generator_states"]):
                generator.generator.bit_generator.state = saved
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "history"):
            history.history = {name: list(values) for name, values in metadata["history"].items()}
            history.epoch = list(metadata["history_epochs"])

    # -- backing up ----------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._batches.last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.due(batch, self.save_freq):
            self._save()

    def _save(self):
        model = self.model
        weights = [variable.numpy() for variable in model.weights]
        optimizer = getattr(model, "optimizer", None)
        optimizer_state = [variable.numpy() for variable in optimizer.variables] if optimizer is not None else []
        history = getattr(model, "history", None)
        recorded = getattr(history, "history", {}) if history is not None else {}
        metadata = {
            "format": FORMAT,
            "epoch": self._current_epoch,
            "batch": self._batches.last_batch_seen,
            "weight_count": len(weights),
            "weight_paths": [variable.path for variable in model.weights],
            "history": {name: [_plain(v) for v in values] for name, values in recorded.items()},
            "history_epochs": list(getattr(history, "epoch", [])),
            "random_state": global_generator().bit_generator.state,
            "seed_generator_states": [g.generator.bit_generator.state for g in _seed_generators(model)],
        }
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._backup_path):
            os.replace(self._backup_path, self._previous_path)
        with AtomicFile(self._backup_path, overwrite=True) as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr("metadata.json", json.dumps(metadata))
                archive.writestr("state.npz", arrays_to_npz_bytes(weights + optimizer_state))

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        for path in (self._backup_path, self._previous_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only if nothing else is in it
        except OSError:
            pass
