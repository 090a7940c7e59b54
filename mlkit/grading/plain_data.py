"""`plain_data`: what may leave the sandbox, and how it is read back.

A value the student's code produced is turned into JSON-ready plain data
before it leaves the kernel (`encode`): None, booleans, strings, numbers,
lists, tuples, dicts with string keys, and arrays (or tensors) as `.npy`
bytes in base64. Anything else travels as a description only
(`{"opaque": "a Foo"}`). The trusted grader rebuilds the value from the
plain data alone (`decode`): arrays are loaded with `allow_pickle=False`,
no code is run, and what cannot be read becomes an `Opaque` value, equal to
nothing, so it can never pass a check.

    decode(encode({"w": np.ones((2, 3)), "shape": (2, 3)}))   # the same dict, rebuilt
"""

import base64
import io
import math

import numpy as np

from mlkit.grading.placeholders import Opaque


def encode(value, depth=0):
    """`value` as JSON-ready plain data: what may leave the sandbox."""
    if depth > 20:
        return {"opaque": "a structure nested too deeply"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 2**53 else {"int": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (np.ndarray, np.generic)):
        if type(value) is not np.ndarray and isinstance(value, np.ndarray):
            return {"opaque": f"an array of a subclass {type(value).__name__}"}
        return {"npy": _npy(value)} if not np.asarray(value).dtype.hasobject else {"opaque": "an array of objects"}
    data = getattr(value, "data", None)
    if isinstance(data, (np.ndarray, np.generic)) and hasattr(value, "shape") and not np.asarray(data).dtype.hasobject:
        return {"tensor": _npy(data)}
    if isinstance(value, tuple):
        return {"tuple": [encode(item, depth + 1) for item in value]}
    if isinstance(value, list):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": {key: encode(item, depth + 1) for key, item in value.items()}}
    return {"opaque": f"a {type(value).__name__}"}


def decode(plain):
    """The value `encode` described, built from plain data only (no pickle, no code)."""
    if plain is None or isinstance(plain, (bool, str, int, float)):
        return plain
    if isinstance(plain, list):
        return [decode(item) for item in plain]
    if not isinstance(plain, dict) or len(plain) != 1:
        return Opaque("a value that is not plain data")
    (kind, content), = plain.items()
    if kind == "int":
        return int(str(content)[:400])
    if kind == "float":
        return float(content) if content in ("nan", "inf", "-inf") else Opaque("a bad number")
    if kind in ("npy", "tensor"):
        array = _array(content)
        if array is None:
            return Opaque("an unreadable array")
        if kind == "tensor":
            return RecordedTensor(array)
        return array[()] if array.ndim == 0 else array
    if kind == "tuple" and isinstance(content, list):
        return tuple(decode(item) for item in content)
    if kind == "dict" and isinstance(content, dict):
        return {str(key): decode(item) for key, item in content.items()}
    if kind == "opaque":
        return Opaque(str(content)[:200])
    return Opaque("a value that is not plain data")


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _array(text):
    """The array in `.npy` bytes (base64), read without pickle; None when unreadable."""
    try:
        array = np.load(io.BytesIO(base64.b64decode(str(text))), allow_pickle=False)
    except Exception:
        return None
    return array if isinstance(array, np.ndarray) else None


class RecordedTensor:
    """A tensor's values as the kernel reported them (what checks read: `.data`, `.shape`)."""

    def __init__(self, data):
        self.data = data
        self.shape = data.shape
        self.dtype = data.dtype

    def numpy(self):
        return self.data

    def __repr__(self):
        return f"<tensor shape={self.shape} dtype={self.dtype}>"


