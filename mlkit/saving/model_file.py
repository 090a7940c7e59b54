"""Model files: one zip holding the config (JSON) and the weights (NumPy .npz).

    model.save("digits.keras")
    restored = mlkit.saving.load_model("digits.keras")

Inside the zip: `metadata.json` (format and version), `config.json` (the
model's config, how it was compiled, the input shape it was built for) and
`model.weights.npz` (every weight, then the optimizer's state, so training
resumes where it stopped). Loading never unpickles and never imports code by
a name read from the file; a Lambda's bytecode is refused unless you pass
`safe_mode=False`. Every write goes to a temporary file that replaces the
target only once complete, so a crash mid-save leaves the old file intact.
"""

import io
import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

FORMAT = "mlkit.model/1"
WEIGHTS_FORMAT = "mlkit.weights/1"


class _AtomicFile:
    """Write to `path` through a temporary file renamed into place at the end."""

    def __init__(self, path, overwrite):
        self.path = os.fspath(path)
        if os.path.exists(self.path) and not overwrite:
            raise FileExistsError(f"{self.path} already exists; pass overwrite=True to replace it.")
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        handle, self.temporary = tempfile.mkstemp(prefix=".saving-", suffix=".tmp", dir=directory)
        self.file = os.fdopen(handle, "wb")

    def __enter__(self):
        return self.file

    def __exit__(self, error_type, error, traceback):
        if error_type is None:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temporary, self.path)
        else:
            self.file.close()
            os.unlink(self.temporary)
        return False


def _arrays_to_npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{i:05d}": value for i, value in enumerate(arrays)})
    return buffer.getvalue()


def _npz_bytes_to_arrays(data, where):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return [archive[key] for key in sorted(archive.files)]
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{where}: the weights inside are corrupted or truncated ({error}).") from None


def _check_suffix(filepath, suffixes, what, example):
    name = os.fspath(filepath)
    if not name.endswith(suffixes):
        raise ValueError(
            f"{what} file names must end with {' or '.join(suffixes)}, got {name!r}. "
            f"Use e.g. {example!r}."
        )


# -- whole models ---------------------------------------------------------------
def _compile_config(model):
    from mlkit.saving.serialization import serialize_keras_object

    if not model.compiled:
        return None

    def serialize(value):
        try:
            return serialize_keras_object(value)
        except TypeError:
            return None

    compiled_metrics = model._compiled_metrics._spec if model._compiled_metrics is not None else (None, None)
    return {
        "optimizer": serialize_keras_object(model.optimizer),
        "loss": serialize(model.loss),
        "loss_weights": model._compiled_loss.loss_weights if model._compiled_loss is not None else None,
        "metrics": serialize(compiled_metrics[0]),
        "weighted_metrics": serialize(compiled_metrics[1]),
    }


def save_model(model, filepath, overwrite=True):
    """Write `model` (architecture, weights, optimizer state) to a `.keras` file."""
    from mlkit import __version__
    from mlkit.saving.serialization import serialize_keras_object

    _check_suffix(filepath, (".keras",), "Model", "model.keras")
    config = serialize_keras_object(model)
    build_shapes = model.__dict__.get("_build_input_shape")
    config["build_config"] = {"input_shape": build_shapes}
    config["compile_config"] = _compile_config(model)
    weights = [np.asarray(v.data) for v in model.weights]
    optimizer_state = []
    if model.compiled and model.optimizer is not None:
        optimizer_state = [np.asarray(v.data) for v in model.optimizer.variables]
    metadata = {
        "format": FORMAT,
        "mlkit_version": __version__,
        "weight_paths": [v.path for v in model.weights],
        "weight_count": len(weights),
        "optimizer_variable_count": len(optimizer_state),
    }
    with _AtomicFile(filepath, overwrite) as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata, indent=1))
            archive.writestr("config.json", json.dumps(config, indent=1))
            archive.writestr("model.weights.npz", _arrays_to_npz_bytes(weights + optimizer_state))


def _read_archive(filepath, required, what):
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path!r} is not an mlkit {what} file (not a zip archive): it may be truncated, "
            "corrupted, or saved by another program."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [n for n in required if n not in names]
            if missing:
                raise ValueError(f"{path!r} is not an mlkit {what} file: it lacks {missing}.")
            return {name: archive.read(name) for name in required}
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"{path!r} is corrupted or truncated ({error}).") from None


def _read_json(data, path, name):
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path!r}: {name} is not valid JSON ({error}); the file is corrupted.") from None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Recreate a model saved with `model.save` — weights, and optimizer state if compiled."""
    from mlkit.saving.model_config import deserialize_layer
    from mlkit.saving.serialization import deserialize_keras_object, safe_mode_scope

    path = os.fspath(filepath)
    parts = _read_archive(path, ["metadata.json", "config.json", "model.weights.npz"], "model")
    metadata = _read_json(parts["metadata.json"], path, "metadata.json")
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path!r} has format {metadata.get('format')!r}; this mlkit reads {FORMAT!r}.")
    config = _read_json(parts["config.json"], path, "config.json")
    arrays = _npz_bytes_to_arrays(parts["model.weights.npz"], path)
    with safe_mode_scope(safe_mode):
        model = deserialize_layer(config, custom_objects)
    build_shape = (config.get("build_config") or {}).get("input_shape")
    if not model.built and build_shape is not None:
        model.build(_as_shape(build_shape))
    weight_count = metadata["weight_count"]
    _assign_all(model.weights, arrays[:weight_count], path, metadata.get("weight_paths"))
    compile_config = config.get("compile_config")
    if compile and compile_config:
        optimizer = deserialize_keras_object(compile_config["optimizer"], module_objects=_optimizer_classes(), custom_objects=custom_objects)
        model.compile(
            optimizer=optimizer,
            loss=_deserialize_loss(compile_config.get("loss"), custom_objects),
            loss_weights=compile_config.get("loss_weights"),
            metrics=compile_config.get("metrics"),
            weighted_metrics=compile_config.get("weighted_metrics"),
        )
        state = arrays[weight_count:]
        if state and len(state) != len(optimizer.variables):
            # The optimizer had taken steps (its slots exist): create them first.
            optimizer.build(model.trainable_variables)
        if state:
            _restore_optimizer_state(optimizer, state, path)
    return model


def _restore_optimizer_state(optimizer, state, path):
    """Put the saved slots back, or warn and keep a fresh optimizer when they do not fit.

    They may not fit when the model's trainable variables differ from the ones
    it was saved with (e.g. a frozen layer whose sublayers reload trainable).
    The weights are already loaded; only the optimizer's momentum is lost.
    """
    shapes_match = len(state) == len(optimizer.variables) and all(
        tuple(variable.shape) == tuple(value.shape) for variable, value in zip(optimizer.variables, state)
    )
    if not shapes_match:
        warnings.warn(
            f"{path!r}: skipped the optimizer state of {optimizer.name!r}: the file holds "
            f"{len(state)} optimizer variables, but the reloaded model's optimizer has "
            f"{len(optimizer.variables)} (its trainable variables differ from the saved model's). "
            "The weights are loaded; training resumes with a fresh optimizer. Pass compile=False "
            "to silence this and compile the model yourself.",
            stacklevel=3,
        )
        return
    _assign_all(optimizer.variables, state, path, None, what="optimizer state")


def _as_shape(value):
    if isinstance(value, list) and value and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, list):
        return [_as_shape(v) for v in value]
    return value


def _optimizer_classes():
    from mlkit import optimizers

    return {name: value for name, value in vars(optimizers).items() if isinstance(value, type)}


def _deserialize_loss(config, custom_objects):
    if config is None or isinstance(config, str):
        return config
    from mlkit import losses

    if isinstance(config, list):
        return [_deserialize_loss(c, custom_objects) for c in config]
    if isinstance(config, dict) and "class_name" not in config:
        return {key: _deserialize_loss(c, custom_objects) for key, c in config.items()}
    return losses.deserialize(config, custom_objects=custom_objects)


def _assign_all(variables, arrays, path, saved_paths, what="weights"):
    """Check every shape first, then assign: a mismatch changes nothing."""
    if len(variables) != len(arrays):
        raise ValueError(
            f"{path!r} holds {len(arrays)} {what}, but the model has {len(variables)}. "
            "The file was saved from a different architecture."
        )
    for index, (variable, value) in enumerate(zip(variables, arrays)):
        if tuple(variable.shape) != tuple(value.shape):
            saved = f" (saved as {saved_paths[index]!r})" if saved_paths else ""
            raise ValueError(
                f"{path!r}: {what} {index} {variable.path!r}{saved} has shape {value.shape} in the "
                f"file but {tuple(variable.shape)} in the model. The architectures differ."
            )
    for variable, value in zip(variables, arrays):
        variable.assign(value)


# -- weights only ---------------------------------------------------------------
def save_weights(model, filepath, overwrite=True):
    """Write only the weights, in `model.weights` order, to a `.weights.npz` file."""
    from mlkit import __version__

    _check_suffix(filepath, (".weights.npz", ".weights.h5"), "Weights", "model.weights.npz")
    weights = [np.asarray(v.data) for v in model.weights]
    metadata = {"format": WEIGHTS_FORMAT, "mlkit_version": __version__, "weight_paths": [v.path for v in model.weights]}
    with _AtomicFile(filepath, overwrite) as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata, indent=1))
            archive.writestr("weights.npz", _arrays_to_npz_bytes(weights))


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights into `model`: from `save_weights`, or the weights of a `.keras` file."""
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        parts = _read_archive(path, ["metadata.json", "model.weights.npz"], "model")
        metadata = _read_json(parts["metadata.json"], path, "metadata.json")
        arrays = _npz_bytes_to_arrays(parts["model.weights.npz"], path)[: metadata["weight_count"]]
    else:
        parts = _read_archive(path, ["metadata.json", "weights.npz"], "weights")
        metadata = _read_json(parts["metadata.json"], path, "metadata.json")
        arrays = _npz_bytes_to_arrays(parts["weights.npz"], path)
    if not model.built:
        raise ValueError(
            f"Model {model.name!r} must be built before loading weights into it: give it an "
            "input shape (mlkit.Input first) or call it once on a batch of data."
        )
    variables = model.weights
    if skip_mismatch:
        pairs = [(v, a) for v, a in zip(variables, arrays) if tuple(v.shape) == tuple(a.shape)]
        variables, arrays = [p[0] for p in pairs], [p[1] for p in pairs]
    _assign_all(variables, arrays, path, metadata.get("weight_paths"))
