"""Global settings: the default float type, the fuzz factor, and session reset.

Mirrors `keras.config` / `keras.backend` for the few knobs the course uses.

    >>> from mlkit import backend
    >>> backend.floatx()
    'float32'
"""

_settings = {"floatx": "float32", "epsilon": 1e-7}


def floatx():
    """The default float dtype name for new tensors and weights ('float32')."""
    return _settings["floatx"]


def set_floatx(value):
    """Change the default float dtype ('float16', 'float32' or 'float64')."""
    if value not in ("float16", "float32", "float64"):
        raise ValueError(
            f"set_floatx: unknown float type {value!r}; pass 'float16', 'float32' or 'float64'."
        )
    _settings["floatx"] = value


def epsilon():
    """The small constant added to denominators to avoid dividing by zero."""
    return _settings["epsilon"]


def set_epsilon(value):
    _settings["epsilon"] = float(value)


def clear_session():
    """Forget generated layer names, so the next Dense is 'dense' again."""
    from mlkit.utils.naming import reset_names

    reset_names()
