"""Writing TensorBoard event files without TensorFlow (used by `TensorBoard`).

An event file is a sequence of records, each framed as TFRecord: the length
(8 bytes, little-endian), a checksum of the length, the bytes, a checksum of
the bytes (CRC-32C, "masked"). Each record is one `Event` protocol-buffer
message: a time, a step and a summary of tagged values. Only the few
protobuf fields TensorBoard needs for scalars and histograms are written,
encoded by hand below (field number and wire type, then the value).

    >>> import tempfile
    >>> with EventFileWriter(tempfile.mkdtemp()) as writer:
    ...     writer.add_scalar("epoch_loss", 0.25, step=0)
"""

import os
import socket
import struct
import time

import numpy as np

# -- CRC-32C (Castagnoli), as TFRecord requires ------------------------------
_CRC_TABLE = []
for _byte in range(256):
    _value = _byte
    for _ in range(8):
        _value = (_value >> 1) ^ 0x82F63B78 if _value & 1 else _value >> 1
    _CRC_TABLE.append(_value)


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# -- protocol buffers: just enough to write -----------------------------------
def _varint(value):
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field, wire_type):
    return _varint(field << 3 | wire_type)


def _bytes_field(field, data):
    return _key(field, 2) + _varint(len(data)) + data


def _double_field(field, value):
    return _key(field, 1) + struct.pack("<d", value)


def _float_field(field, value):
    return _key(field, 5) + struct.pack("<f", value)


def _int_field(field, value):
    return _key(field, 0) + _varint(value)


def _histogram(values):
    """A HistogramProto: min, max, num, sum, sum of squares, bucket edges and counts."""
    values = np.asarray(values, dtype=np.float64).ravel()
    counts, edges = np.histogram(values, bins=30)
    return b"".join([
        _double_field(1, float(values.min())),
        _double_field(2, float(values.max())),
        _double_field(3, float(values.size)),
        _double_field(4, float(values.sum())),
        _double_field(5, float(np.dot(values, values))),
        _bytes_field(6, np.asarray(edges[1:], "<f8").tobytes()),  # packed doubles: right edges
        _bytes_field(7, np.asarray(counts, "<f8").tobytes()),
    ])


def _event(step, summary_value=None, file_version=None):
    """An Event: wall_time (1), step (2), file_version (3) or summary (5)."""
    message = _double_field(1, time.time()) + _int_field(2, int(step))
    if file_version is not None:
        message += _bytes_field(3, file_version.encode())
    if summary_value is not None:
        message += _bytes_field(5, _bytes_field(1, summary_value))  # Summary.value (repeated, 1)
    return message


class EventFileWriter:
    """Appends scalar and histogram summaries to a new event file in `log_dir`."""

    _count = 0

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        EventFileWriter._count += 1
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{self._count}.v2"
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self._file.write(tfrecord(_event(0, file_version="brain.Event:2")))
        self._file.flush()

    def add_scalar(self, tag, value, step):
        """Summary.Value: tag (1), simple_value (2)."""
        self._write(step, _bytes_field(1, tag.encode()) + _float_field(2, float(value)))

    def add_histogram(self, tag, values, step):
        """Summary.Value: tag (1), histo (5)."""
        self._write(step, _bytes_field(1, tag.encode()) + _bytes_field(5, _histogram(values)))

    def _write(self, step, summary_value):
        self._file.write(tfrecord(_event(step, summary_value=summary_value)))

    def flush(self):
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *error):
        self.close()
