"""Files made to trick the loader: each is refused with a clear message, and nothing is written.

One test per kind: a class that is not made to be saved (at the top level and
nested), each size bomb (an .npy header, an HDF5 dataset, a config asking for a
huge layer), a zip bomb, a symlink to /dev/zero, a FIFO, deeply nested JSON,
weights whose names say they belong elsewhere, and code (Lambda).
"""

import io
import json
import os
import threading
import zipfile

import h5py
import numpy as np
import pytest

import mlkit
from mlkit import layers, saving
from mlkit.saving import limits


def small_model():
    return mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(2, name="head")], name="small")


def model_parts(tmp_path):
    """The parts of a real .keras file, to be tampered with."""
    small_model().save(tmp_path / "genuine.keras")
    with zipfile.ZipFile(tmp_path / "genuine.keras") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    os.remove(tmp_path / "genuine.keras")
    return parts


def write_archive(path, parts, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def nothing_written(tmp_path, monkeypatch):
    """Run in tmp_path and check afterwards that loading created no file there."""
    monkeypatch.chdir(tmp_path)
    before = set()

    def snapshot():
        before.clear()
        before.update(str(p) for p in tmp_path.rglob("*"))

    yield snapshot
    assert {str(p) for p in tmp_path.rglob("*")} == before


@pytest.mark.parametrize("where", ["top level", "nested"])
def test_a_class_not_made_to_be_saved_is_refused_before_anything_is_built(tmp_path, nothing_written, where):
    parts = model_parts(tmp_path)
    config = json.loads(parts["config.json"])
    injected = {"module": "mlkit.callbacks", "class_name": "CSVLogger",
                "config": {"filename": str(tmp_path / "written-by-the-file.csv")}, "registered_name": None}
    if where == "top level":
        config = injected
        location = r"the top level of config\.json"
    else:
        config["config"]["layers"][1]["config"]["kernel_initializer"] = injected
        location = r"config\.layers\[1\]\.config\.kernel_initializer of config\.json"
    path = write_archive(tmp_path / "injected.keras", {**parts, "config.json": json.dumps(config).encode()})
    nothing_written()
    with pytest.raises(TypeError, match=rf"Could not locate class 'CSVLogger' \(at {location}\)"):
        saving.load_model(path)
    assert not (tmp_path / "written-by-the-file.csv").exists()


def test_an_npy_header_asking_for_a_huge_array_is_refused_before_allocating(tmp_path, nothing_written):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    buffer.write(b"\0" * 64)
    weights = io.BytesIO()
    with zipfile.ZipFile(weights, "w") as archive:
        archive.writestr("00000.npy", buffer.getvalue())
    path = tmp_path / "old.keras"  # the npz layout of mlkit 0.1 files
    write_archive(path, {"metadata.json": json.dumps({"format": "mlkit.model/1", "weight_count": 1}).encode(),
                         "config.json": model_parts(tmp_path)["config.json"], "model.weights.npz": weights.getvalue()})
    nothing_written()
    with pytest.raises(ValueError, match=r"declares shape \(1000000000000,\) \(4,000,000,000,000 bytes\) but the file holds only"):
        saving.load_model(path)


def test_an_hdf5_dataset_asking_for_a_huge_array_is_refused_before_allocating(tmp_path, nothing_written):
    path = tmp_path / "huge.weights.h5"
    with h5py.File(path, "w") as store:
        group = store.create_group("layers/dense/vars")
        group.attrs["name"] = "head"
        group.create_dataset("0", shape=(3, 10**8), dtype="float32", chunks=(1, 1024))  # 1.2 GB, never written
        group.create_dataset("1", data=np.zeros(2, "float32"))
    assert path.stat().st_size < 100_000
    nothing_written()
    with pytest.raises(ValueError, match=r"array 'layers/dense/vars/0' declares shape \(3, 100000000\) .* but occupies only 0 bytes"):
        small_model().load_weights(path)


def test_a_config_asking_for_a_huge_layer_is_refused_naming_the_limit(tmp_path, nothing_written):
    parts = model_parts(tmp_path)
    config = json.loads(parts["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 10**6]
    config["config"]["layers"][1]["config"]["units"] = 10**6   # a 4 TB kernel, in a file of a few KB
    path = write_archive(tmp_path / "huge.keras", {**parts, "config.json": json.dumps(config).encode()})
    nothing_written()
    with pytest.raises(ValueError, match=r"asks for weights of 4,000,000,000,000 bytes.*raise mlkit\.saving\.limits\.max_weight_bytes"):
        saving.load_model(path)


def test_the_weight_limit_can_be_raised_for_a_trusted_file(tmp_path, monkeypatch):
    small_model().save(tmp_path / "m.keras")
    monkeypatch.setattr(limits, "max_weight_bytes", 16)
    with pytest.raises(ValueError, match="max_weight_bytes"):
        saving.load_model(tmp_path / "m.keras")
    monkeypatch.setattr(limits, "max_weight_bytes", 10**6)
    assert saving.load_model(tmp_path / "m.keras").count_params() == 8


def test_a_zip_bomb_is_refused_before_decompressing(tmp_path, nothing_written):
    parts = model_parts(tmp_path)
    bomb = {**parts, "model.weights.h5": b"\0" * (64 * 1024**2)}   # 64 MB of zeros deflate to ~64 KB
    path = write_archive(tmp_path / "bomb.keras", bomb, compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 200_000
    nothing_written()
    with pytest.raises(ValueError, match=r"part 'model.weights.h5' would grow from .* to 67,108,864 bytes .*zip bomb"):
        saving.load_model(path)


def test_a_part_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    small_model().save(tmp_path / "m.keras")
    monkeypatch.setattr(limits, "max_member_bytes", 1000)
    with pytest.raises(ValueError, match=r"would decompress to .* bytes, more than mlkit\.saving\.limits\.max_member_bytes"):
        saving.load_model(tmp_path / "m.keras")


@pytest.mark.parametrize("loader", ["load_model", "load_weights"])
def test_a_symlink_to_dev_zero_is_refused(tmp_path, nothing_written, loader):
    suffix = ".keras" if loader == "load_model" else ".weights.h5"
    path = tmp_path / f"m{suffix}"
    os.symlink("/dev/zero", path)
    nothing_written()
    with pytest.raises(ValueError, match=r"is not a regular file \(it is a character device\)"):
        saving.load_model(path) if loader == "load_model" else small_model().load_weights(path)


def test_a_fifo_is_refused_at_once_instead_of_hanging(tmp_path, nothing_written):
    path = tmp_path / "m.keras"
    os.mkfifo(path)
    nothing_written()
    outcome = {}

    def load():
        try:
            saving.load_model(path)
        except ValueError as error:
            outcome["error"] = str(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # unblock the reader so the test process can end
        with open(path, "wb"):
            pass
        pytest.fail("load_model blocked on a FIFO")
    assert "is not a regular file (it is a FIFO (named pipe))" in outcome["error"]


@pytest.mark.parametrize("depth", [100_000, 150])
def test_deeply_nested_json_gets_a_clear_error(tmp_path, nothing_written, depth):
    parts = model_parts(tmp_path)
    deep = "[" * depth + "]" * depth
    path = write_archive(tmp_path / "deep.keras", {**parts, "config.json": deep.encode()})
    nothing_written()
    expected = "nested too deeply to read" if depth > 10_000 else "nests deeper than 100 levels"
    with pytest.raises(ValueError, match=expected):
        saving.load_model(path)


def test_weights_go_where_their_names_say_not_by_position(tmp_path):
    mlkit.utils.set_random_seed(0)
    saved = mlkit.Sequential([mlkit.Input(shape=(4,)), layers.Dense(4, name="first"), layers.Dense(4, name="second")])
    saved.save_weights(tmp_path / "m.weights.h5")
    # The same layers in the other order: shapes match by position, names do not.
    swapped = mlkit.Sequential([mlkit.Input(shape=(4,)), layers.Dense(4, name="second"), layers.Dense(4, name="first")])
    swapped.load_weights(tmp_path / "m.weights.h5")
    for name in ("first", "second"):
        for mine, theirs in zip(swapped.get_layer(name).get_weights(), saved.get_layer(name).get_weights()):
            np.testing.assert_array_equal(mine, theirs)


def test_code_in_a_file_is_refused_unless_safe_mode_is_off(tmp_path, nothing_written):
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), layers.Lambda(lambda t: t * 5)])
    model.save(tmp_path / "l.keras")
    nothing_written()
    with pytest.raises(ValueError, match=r"lambda at config\.layers\[1\]\.config\.function of config\.json.*safe_mode=False"):
        saving.load_model(tmp_path / "l.keras")
    restored = saving.load_model(tmp_path / "l.keras", safe_mode=False)
    np.testing.assert_array_equal(restored.predict(np.ones((1, 2)), verbose=0), [[5.0, 5.0]])


def test_a_config_too_large_to_parse_safely_is_refused(tmp_path, monkeypatch):
    small_model().save(tmp_path / "m.keras")
    monkeypatch.setattr(limits, "max_json_bytes", 100)
    with pytest.raises(ValueError, match=r"config\.json holds .* bytes of JSON, more than mlkit\.saving\.limits\.max_json_bytes"):
        saving.load_model(tmp_path / "m.keras")
