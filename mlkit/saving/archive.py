"""Reading the parts of a saved file without letting the file trick the reader.

Shared by model files and training backups:

- `open_regular_file` opens only a regular file (never a device such as
  `/dev/zero`, a FIFO that would block forever, or a symlink to one);
- `read_archive` reads named parts of a zip archive, each bounded by its
  real size and compression ratio before it is decompressed (zip bombs);
- `read_json` parses JSON with a clear error for damaged or absurdly deep data;
- `arrays_to_npz_bytes` / `npz_bytes_to_arrays` store arrays as NumPy's
  `.npz` (no pickle), checking every array's declared size against the bytes
  really there before allocating it.

    >>> import numpy as np
    >>> from mlkit.saving.archive import arrays_to_npz_bytes, npz_bytes_to_arrays
    >>> npz_bytes_to_arrays(arrays_to_npz_bytes([np.arange(3)]), "example")[0].tolist()
    [0, 1, 2]
"""

import io
import json
import math
import os
import stat
import zipfile

import numpy as np

from mlkit.saving import limits


def open_regular_file(path, what="file"):
    """Open `path` for reading in binary mode, refusing anything but a regular file."""
    path = os.fspath(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such file: {path!r}.") from None
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(
            f"{path!r} is not a regular file (it is {_kind(status.st_mode)}): a {what} is always a "
            "regular file, so it is not read. Save the model to a file and load that."
        )
    # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening does not hang.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ValueError(f"{path!r} changed into something other than a regular file while opening it.")
    return os.fdopen(descriptor, "rb")


def _kind(mode):
    for test, name in [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")]:
        if test(mode):
            return name
    return "not a regular file"


def read_archive(path, required, what, optional=()):
    """{name: bytes} for the parts `required` (all must exist) and `optional` of a zip file."""
    path = os.fspath(path)
    with open_regular_file(path, what) as handle:
        if not zipfile.is_zipfile(handle):
            raise ValueError(
                f"{path!r} is not a {what} file (not a zip archive): it may be truncated, "
                "corrupted, or saved by another program."
            )
        try:
            with zipfile.ZipFile(handle) as archive:
                names = set(archive.namelist())
                missing = [name for name in required if name not in names]
                if missing:
                    raise ValueError(f"{path!r} is not a {what} file: it lacks {missing}.")
                wanted = list(required) + [name for name in optional if name in names]
                return {name: _read_member(archive, archive.getinfo(name), path) for name in wanted}
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
            raise ValueError(f"{path!r} is corrupted or truncated ({error}).") from None


def _read_member(archive, info, path):
    check_member_size(info, path)
    if info.filename.endswith(".json") and info.file_size > limits.max_json_bytes:
        raise ValueError(
            f"{path!r}: {info.filename} holds {info.file_size:,} bytes of JSON, more than "
            f"{limits.described('max_json_bytes')}. If you trust the file, raise that limit."
        )
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ValueError(f"{path!r}: part {info.filename!r} is not the size its header says; the file is corrupted.")
    return data


def check_member_size(info, where):
    """Refuse a zip member that would decompress to too much, before decompressing it."""
    if info.file_size > limits.max_member_bytes:
        raise ValueError(
            f"{where}: part {info.filename!r} would decompress to {info.file_size:,} bytes, more than "
            f"{limits.described('max_member_bytes')}. If you trust the file, raise that limit."
        )
    if info.file_size > max(info.compress_size, 1024) * limits.max_compression_ratio:
        raise ValueError(
            f"{where}: part {info.filename!r} would grow from {info.compress_size:,} to "
            f"{info.file_size:,} bytes when decompressed (a zip bomb?), more than "
            f"{limits.described('max_compression_ratio')} times. If you trust the file, raise that limit."
        )


def read_json(data, where, name):
    """Parse the JSON part `name` of `where`; damaged or absurdly deep JSON gets a clear error."""
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{where}: {name} is not valid JSON ({error}); the file is corrupted.") from None
    except RecursionError:
        raise ValueError(
            f"{where}: {name} is nested too deeply to read (thousands of levels): no saved model "
            "looks like that, so the file is refused."
        ) from None
    check_depth(value, f"{where}: {name}")
    return value


def check_depth(value, where):
    """Refuse JSON nested deeper than `limits.max_json_depth` (walked without recursion)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > limits.max_json_depth:
            raise ValueError(
                f"{where} nests deeper than {limits.max_json_depth} levels: no saved model needs "
                f"that, so it is refused. If you trust it, raise {limits.described('max_json_depth')}."
            )
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


def arrays_to_npz_bytes(arrays):
    """`arrays` as the bytes of an `.npz` archive, in order (keys 00000, 00001, ...)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{index:05d}": value for index, value in enumerate(arrays)})
    return buffer.getvalue()


def npz_bytes_to_arrays(data, where):
    """The arrays of `arrays_to_npz_bytes`, in order; every size checked before allocating."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            arrays = []
            for info in sorted(archive.infolist(), key=lambda info: info.filename):
                check_member_size(info, where)
                with archive.open(info) as member:
                    arrays.append(_read_npy(member, info, where))
            return arrays
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        if isinstance(error, ValueError) and str(error).startswith(where):
            raise
        raise ValueError(f"{where}: the weights inside are corrupted or truncated ({error}).") from None


def _read_npy(member, info, where):
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    else:
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    if dtype.hasobject:
        raise ValueError(f"{where}: array {info.filename!r} holds Python objects, which are never loaded (no pickle).")
    declared = math.prod(shape) * dtype.itemsize
    if declared > info.file_size:
        raise ValueError(
            f"{where}: array {info.filename!r} declares shape {shape} ({declared:,} bytes) but the file "
            f"holds only {info.file_size:,} bytes for it; the file is corrupted or forged."
        )
    data = member.read(declared)
    if len(data) != declared:
        raise ValueError(f"{where}: array {info.filename!r} is truncated.")
    array = np.frombuffer(data, dtype=dtype).copy()
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)
