"""Model files in Keras 3's own formats, so they travel both ways.

    model.save("digits.keras")
    restored = mlkit.saving.load_model("digits.keras")
    model.save_weights("digits.weights.h5")
    model.load_weights("digits.weights.h5")

A `.keras` file is a zip holding `metadata.json`, `config.json` (the
model's config with Keras's class names, modules and keys, how it was
compiled, the input shape it was built for) and `model.weights.h5` (the
weights, then the optimizer's state, in Keras's HDF5 layout: see
`keras_weights`). A `.weights.h5` file is that HDF5 file alone. Keras 3
loads what mlkit writes and mlkit loads what Keras writes, for the layers
mlkit has.

Loading never unpickles and never imports code named by the file: the
whole config is checked against the classes made to be saved before
anything is built (`config_check`), what the file asks for is bounded
before it is allocated (`limits`), only regular files are opened, and a
Lambda's bytecode is refused unless you pass `safe_mode=False`. Every write
goes to a temporary file that replaces the target only once complete.
Files written by mlkit 0.1 (weights as `.npz`) still load.
"""

import datetime
import io
import json
import os
import zipfile

from mlkit.saving import keras_weights, legacy_format, limits
from mlkit.saving.archive import open_regular_file, read_archive, read_json
from mlkit.saving.atomic_file import AtomicFile
from mlkit.saving.config_check import check_config
from mlkit.saving.keras_compat import from_keras_config
from mlkit.saving.model_config import deserialize_layer
from mlkit.saving.serialization import safe_mode_scope, serialize_keras_object
from mlkit.saving.weight_budget import weight_budget

# The Keras release whose file layout mlkit writes (metadata.json's keras_version).
KERAS_FORMAT_VERSION = "3.15.1"
CONFIG_NAME, METADATA_NAME, WEIGHTS_NAME = "config.json", "metadata.json", "model.weights.h5"


def _check_suffix(filepath, suffixes, what, example):
    name = os.fspath(filepath)
    if not name.endswith(suffixes):
        raise ValueError(
            f"{what} file names must end with {' or '.join(suffixes)}, got {name!r}. "
            f"Use e.g. {example!r}."
        )


# -- whole models ---------------------------------------------------------------
def _compile_config(model):
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
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def _model_config(model):
    config = serialize_keras_object(model)
    config["build_config"] = {"input_shape": model.__dict__.get("_build_input_shape")}
    config["compile_config"] = _compile_config(model)
    return config


def save_model(model, filepath, overwrite=True):
    """Write `model` (architecture, weights, optimizer state) to a `.keras` file Keras 3 can read."""
    from mlkit import __version__  # the root package, which imports this one

    _check_suffix(filepath, (".keras",), "Model", "model.keras")
    config = json.dumps(_model_config(model), indent=1)
    optimizer = model.optimizer if model.compiled and model.optimizer is not None else None
    weights = keras_weights.weights_bytes(model, optimizer)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "mlkit_version": __version__,
    }
    with AtomicFile(filepath, overwrite) as handle:
        with zipfile.ZipFile(handle, "w") as archive:
            archive.writestr(METADATA_NAME, json.dumps(metadata))
            archive.writestr(CONFIG_NAME, config)
            archive.writestr(WEIGHTS_NAME, weights)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Recreate a model saved with `model.save` (by mlkit or Keras 3): weights, and optimizer state if compiled."""
    path = os.fspath(filepath)
    where = repr(path)
    parts = read_archive(path, [CONFIG_NAME], "model", optional=[METADATA_NAME, WEIGHTS_NAME, legacy_format.WEIGHTS_NAME])
    if WEIGHTS_NAME not in parts and legacy_format.WEIGHTS_NAME not in parts:
        raise ValueError(f"{where} is not a model file: it lacks {WEIGHTS_NAME!r}.")
    config = read_json(parts[CONFIG_NAME], where, CONFIG_NAME)
    if not isinstance(config, dict):
        raise ValueError(f"{where}: {CONFIG_NAME} holds {type(config).__name__}, not a model's config.")
    check_config(config, custom_objects, safe_mode, where=CONFIG_NAME)
    config = from_keras_config(config)
    stored = None if WEIGHTS_NAME not in parts else keras_weights.read_weights(io.BytesIO(parts[WEIGHTS_NAME]), where)
    with safe_mode_scope(safe_mode), weight_budget(where):
        model = deserialize_layer(config, custom_objects)
        build_shape = (config.get("build_config") or {}).get("input_shape")
        if not model.built and build_shape is not None:
            model.build(_as_shape(build_shape))
        if stored is None:
            return legacy_format.finish_loading(model, config, parts, path, custom_objects, compile, _compile_model)
        keras_weights.assign_weights(model, stored, where)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            optimizer = _compile_model(model, compile_config, custom_objects)
            saved_state = stored.get(keras_weights.OPTIMIZER_GROUP, ("", []))[1]
            if len(saved_state) > len(optimizer.variables):
                optimizer.build(model.trainable_variables)  # it had taken steps: create the slots to load into
            if saved_state:
                keras_weights.assign_optimizer_state(optimizer, stored, where)
    return model


def _compile_model(model, compile_config, custom_objects):
    # A lookup among classes above saving: imported when a compiled model is loaded.
    from mlkit import optimizers

    optimizer = optimizers.deserialize(compile_config["optimizer"], custom_objects=custom_objects)
    model.compile(
        optimizer=optimizer,
        loss=_deserialize_loss(compile_config.get("loss"), custom_objects),
        loss_weights=compile_config.get("loss_weights"),
        metrics=compile_config.get("metrics"),
        weighted_metrics=compile_config.get("weighted_metrics"),
    )
    return optimizer


def _as_shape(value):
    if isinstance(value, list) and value and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, list):
        return [_as_shape(v) for v in value]
    return value


def _deserialize_loss(config, custom_objects):
    if config is None or isinstance(config, str):
        return config
    from mlkit import losses  # a lookup above saving, as for optimizers

    if isinstance(config, list):
        return [_deserialize_loss(c, custom_objects) for c in config]
    if isinstance(config, dict) and "class_name" not in config:
        return {key: _deserialize_loss(c, custom_objects) for key, c in config.items()}
    return losses.deserialize(config, custom_objects=custom_objects)


# -- weights only ---------------------------------------------------------------
def save_weights(model, filepath, overwrite=True):
    """Write the weights (and the optimizer's state, once it has any) to a `.weights.h5` file, as Keras does."""
    _check_suffix(filepath, (".weights.h5",), "Weights", "model.weights.h5")
    optimizer = model.__dict__.get("optimizer")
    optimizer = optimizer if optimizer is not None and optimizer.built else None
    data = keras_weights.weights_bytes(model, optimizer)
    with AtomicFile(filepath, overwrite) as handle:
        handle.write(data)


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights into a built `model`: from `save_weights`, or the weights inside a `.keras` file.

    Each layer gets the weights the file stores for it (matched by the
    model's structure, or by layer names when the file names exactly the
    model's layers); anything missing, unexpected or of the wrong shape is
    reported and nothing is loaded, unless `skip_mismatch=True`.
    """
    path = os.fspath(filepath)
    where = repr(path)
    if not model.built:
        raise ValueError(
            f"Model {model.name!r} must be built before loading weights into it: give it an "
            "input shape (mlkit.Input first) or call it once on a batch of data."
        )
    if path.endswith(".keras"):
        parts = read_archive(path, [], "model", optional=[WEIGHTS_NAME, legacy_format.WEIGHTS_NAME, METADATA_NAME])
        if WEIGHTS_NAME not in parts:
            return legacy_format.load_weights(model, path, parts, skip_mismatch)
        source = io.BytesIO(parts[WEIGHTS_NAME])
    else:
        with open_regular_file(path, "weights file") as handle:
            head = handle.read(8)
        if head.startswith(b"PK"):
            return legacy_format.load_weights(model, path, None, skip_mismatch)
        source = io.BytesIO(_read_whole(path))
    stored = keras_weights.read_weights(source, where)
    keras_weights.assign_weights(model, stored, where, skip_mismatch=skip_mismatch)
    optimizer = model.__dict__.get("optimizer")
    if optimizer is not None and optimizer.built:
        keras_weights.assign_optimizer_state(optimizer, stored, where)


def _read_whole(path):
    with open_regular_file(path, "weights file") as handle:
        data = handle.read(limits.max_member_bytes + 1)
    if len(data) > limits.max_member_bytes:
        raise ValueError(f"{path!r} is larger than {limits.described('max_member_bytes')}; raise it if you trust the file.")
    return data
