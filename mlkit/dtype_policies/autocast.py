"""The autocast scope: the dtype float variables are read in right now.

Under the 'mixed_float16' policy a layer stores its weights in float32 but
computes in float16. While such a layer's `call` runs, `Layer.__call__`
opens a scope with dtype 'float16', and every `Variable` created with
`autocast=True` hands out its value cast to float16 when read. Outside any
scope (the usual float32 case) a read costs one attribute check.

    >>> import mlkit
    >>> from mlkit.dtype_policies.autocast import AutocastScope
    >>> v = mlkit.Variable([1.0, 2.0])
    >>> with AutocastScope("float16"):
    ...     v.dtype
    'float16'
    >>> v.dtype
    'float32'
"""


class _AutocastState:
    dtype = None  # None: every variable is read in its own dtype


state = _AutocastState()


class AutocastScope:
    """`with AutocastScope("float16"):` reads float variables as float16 inside."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self._saved = state.dtype
        state.dtype = self.dtype
        return self

    def __exit__(self, *exc_info):
        state.dtype = self._saved
        return False


def get_autocast_dtype():
    """The dtype float variables are cast to when read right now (None: no cast)."""
    return state.dtype
