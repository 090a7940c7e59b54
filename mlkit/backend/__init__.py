"""Global settings: the default float type, the fuzz factor, the image data
format, and session reset.

Mirrors `keras.config` / `keras.backend` for the few knobs the course uses.

    >>> from mlkit import backend
    >>> backend.floatx()
    'float32'
"""

_settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


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


def image_data_format():
    """Where images keep their channels: 'channels_last' (N, H, W, C), the default."""
    return _settings["image_data_format"]


def set_image_data_format(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"set_image_data_format: unknown format {data_format!r}; pass 'channels_last' "
            "or 'channels_first'."
        )
    _settings["image_data_format"] = data_format


def clear_session():
    """Forget generated layer names, so the next Dense is 'dense' again."""
    from mlkit.utils.naming import reset_names

    reset_names()
