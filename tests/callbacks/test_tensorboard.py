"""TensorBoard: the event files hold the values Keras would log, under its tags.

The files are read back by a small independent reader (TFRecord framing with
its CRC-32C checks, then the protobuf fields), so no TensorFlow is needed.
"""

import os
import struct
import zlib

import numpy as np
import pytest

from mlkit import callbacks
from mlkit.callbacks.event_file import crc32c, masked_crc32c


def read_varint(data, position):
    shift = result = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, position


def fields(message):
    """(field number, value) pairs of a protobuf message (values: int, bytes or raw 4/8 bytes)."""
    position, found = 0, []
    while position < len(message):
        key, position = read_varint(message, position)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, position = read_varint(message, position)
        elif wire == 1:
            value, position = message[position:position + 8], position + 8
        elif wire == 5:
            value, position = message[position:position + 4], position + 4
        else:
            length, position = read_varint(message, position)
            value, position = message[position:position + length], position + length
        found.append((field, value))
    return found


def read_events(folder):
    """Every (tag, step, value) in the event file of `folder`; value: float or histogram dict."""
    (name,) = os.listdir(folder)
    assert name.startswith("events.out.tfevents.")
    data = open(os.path.join(folder, name), "rb").read()
    position, events = 0, []
    while position < len(data):
        header = data[position:position + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[position + 8:position + 12])[0] == masked_crc32c(header)
        record = data[position + 12:position + 12 + length]
        assert struct.unpack("<I", data[position + 12 + length:position + 16 + length])[0] == masked_crc32c(record)
        position += 16 + length
        event = dict(fields(record))
        if 3 in event:
            assert event[3] == b"brain.Event:2"
            continue
        value = dict(fields(dict(fields(event[5]))[1]))
        if 2 in value:
            events.append((value[1].decode(), event.get(2, 0), struct.unpack("<f", value[2])[0]))
        else:
            histogram = {number: content for number, content in fields(value[5])}
            events.append((value[1].decode(), event.get(2, 0), {
                "num": struct.unpack("<d", histogram[3])[0],
                "counts": np.frombuffer(histogram[7], "<f8"),
            }))
    return events


def test_crc32c_matches_the_standard_check_value():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"123456789") != zlib.crc32(b"123456789")  # not the usual CRC-32


def test_epoch_values_go_to_train_and_validation_under_keras_tags(tmp_path, tiny_model, regression_data):
    x, y = regression_data
    model = tiny_model(metrics=["mae"])
    history = model.fit(x, y, epochs=3, batch_size=4, validation_data=(x, y), verbose=0,
                        callbacks=[callbacks.TensorBoard(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train = read_events(tmp_path / "train")
    for name in ("loss", "mae"):
        logged = [(step, value) for tag, step, value in train if tag == f"epoch_{name}"]
        assert logged == [(epoch, pytest.approx(v)) for epoch, v in enumerate(history.history[name])]
    assert [value for tag, _, value in train if tag == "epoch_learning_rate"] == pytest.approx([0.1] * 3)
    validation = read_events(tmp_path / "validation")
    assert [value for tag, _, value in validation if tag == "epoch_loss"] == pytest.approx(history.history["val_loss"])
    # After each validation: the results against the optimizer's iterations (2 batches an epoch).
    assert [(step, value) for tag, step, value in validation if tag == "evaluation_loss_vs_iterations"] == [
        (2 * (epoch + 1), pytest.approx(v)) for epoch, v in enumerate(history.history["val_loss"])]


def test_batch_values_and_weight_histograms(tmp_path, tiny_model, regression_data):
    model = tiny_model()
    board = callbacks.TensorBoard(tmp_path, update_freq=2, histogram_freq=2, write_steps_per_second=True)
    model.fit(*regression_data, epochs=3, batch_size=2, verbose=0, callbacks=[board])
    train = read_events(tmp_path / "train")
    assert [step for tag, step, _ in train if tag == "batch_loss"] == [2, 4, 6, 8, 10, 12]
    assert len([tag for tag, _, _ in train if tag == "batch_steps_per_second"]) == 6
    assert all(value > 0 for tag, _, value in train if tag == "epoch_steps_per_second")
    histograms = [(tag, step, value) for tag, step, value in train if tag.endswith("/histogram")]
    weight_paths = [weight.path for weight in model.weights]
    assert [(tag, step) for tag, step, _ in histograms] == [
        (f"{path}/histogram", epoch) for epoch in (0, 2) for path in weight_paths]
    kernel = histograms[2]
    assert kernel[2]["num"] == 3 and kernel[2]["counts"].sum() == 3


def test_unsupported_options_are_refused_or_reported():
    with pytest.raises(ValueError, match="Profiling"):
        callbacks.TensorBoard(profile_batch=5)
    with pytest.warns(UserWarning, match="write_images is not supported"):
        callbacks.TensorBoard(write_images=True)
