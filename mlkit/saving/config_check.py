"""Check a whole config read from a file before anything in it is built.

Every `{"class_name": ...}` entry, however deeply nested, must name a class
made to be saved (see `saveable_classes`), a class you registered, or one
you pass in `custom_objects`; a Python lambda stored as code is refused in
safe mode. The first entry that fails is reported with where it sits in the
config, so nothing is constructed from a file that names something else.

    >>> from mlkit.saving.config_check import check_config
    >>> check_config({"class_name": "Dense", "config": {"units": 2}})
    >>> check_config({"class_name": "Dense", "config": {"kernel_initializer":
    ...     {"class_name": "CSVLogger", "config": {"filename": "/etc/passwd"}}}})
    Traceback (most recent call last):
    ...
    TypeError: Could not locate class 'CSVLogger' (at config.kernel_initializer of the config). ...
"""

from mlkit.saving import limits
from mlkit.saving.object_registration import get_registered_object
from mlkit.saving.saveable_classes import saveable_classes
from mlkit.saving.serialization import in_safe_mode

# Plain values written as {"class_name": "__...__"} and names of functions:
# read as data, never constructed from a class.
DATA_ENTRIES = ("__keras_tensor__", "__numpy__", "__tensor__", "__bytes__", "function")


def check_config(config, custom_objects=None, safe_mode=None, where="the config"):
    """Raise unless every class `config` names may be built (see the module docstring)."""
    known = saveable_classes()
    pending = [(config, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > limits.max_json_depth:
            raise ValueError(
                f"{where} nests deeper than {limits.max_json_depth} levels (at {path[:200]}...): "
                "no model needs that, so the file is refused. If you trust it, raise "
                f"{limits.described('max_json_depth')}."
            )
        if isinstance(value, dict):
            if "class_name" in value:
                _check_entry(value, f"{path or 'the top level'} of {where}", known, custom_objects, safe_mode)
            pending.extend((item, f"{path}.{key}" if path else str(key), depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))


def _check_entry(entry, path, known, custom_objects, safe_mode):
    class_name = entry["class_name"]
    if not isinstance(class_name, str):
        raise TypeError(f"At {path}: 'class_name' must be a string, got {class_name!r}. The file is corrupted.")
    if class_name in DATA_ENTRIES:
        return
    if class_name == "__lambda__":
        if in_safe_mode(safe_mode):
            raise ValueError(
                f"Refusing to load the Python lambda at {path}: it is stored as bytecode, and "
                "loading it could run arbitrary code. If you trust this file, load it with "
                "safe_mode=False (or call mlkit.saving.enable_unsafe_deserialization())."
            )
        return
    registered = entry.get("registered_name")
    names = [name for name in (registered, class_name) if isinstance(name, str)]
    if any(get_registered_object(name, custom_objects) is not None for name in names):
        return
    if class_name in known and registered in (None, class_name):
        return
    raise TypeError(
        f"Could not locate class {registered or class_name!r} (at {path}). Unknown classes are "
        "never built: a file may only name mlkit's layers, models, initializers, regularizers, "
        "constraints, losses, metrics, optimizers and schedules, and the classes you register. "
        "If it is your own class, "
        "decorate it with @mlkit.saving.register_keras_serializable() or pass "
        f"custom_objects={{{class_name!r}: {class_name}}} when loading."
    )
