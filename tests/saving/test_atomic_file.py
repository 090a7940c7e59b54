"""Saving is atomic and tidy: a killed save leaves the old file, its leftovers go at the next save,
and files get the mode the umask gives."""

import os
import stat
import subprocess
import sys
import textwrap

import pytest

import mlkit
from mlkit import layers, saving
from mlkit.saving import AtomicFile

KILLED_MID_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    from mlkit.saving import AtomicFile

    with AtomicFile(sys.argv[1]) as handle:
        handle.write(b"half of a new file")
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def small_model():
    return mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(2)])


def test_leftovers_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "m.keras"
    small_model().save(path)
    before = path.read_bytes()
    run = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE, str(path)], capture_output=True, timeout=120)
    assert run.returncode == -9
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".saving-m.keras-")
    assert path.read_bytes() == before   # the old file survived the kill
    # A save of another file in the folder, still running, keeps its temporary file.
    busy = AtomicFile(tmp_path / "other.keras")
    small_model().save(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.keras", os.path.basename(busy.temporary)])
    with busy as handle:
        handle.write(b"done")
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "other.keras"]
    saving.load_model(path)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        model = small_model()
        model.save(tmp_path / "m.keras")
        model.save_weights(tmp_path / "m.weights.h5")
    finally:
        os.umask(previous)
    for name in ("m.keras", "m.weights.h5"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, name


def test_overwrite_false_keeps_an_existing_file(tmp_path):
    path = tmp_path / "m.weights.h5"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        small_model().save_weights(path, overwrite=False)
    assert path.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["m.weights.h5"]
