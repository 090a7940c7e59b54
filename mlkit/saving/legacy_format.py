"""Reading the files mlkit 0.1 wrote, before it wrote Keras's formats.

Those files are zips too: a `.keras` held `model.weights.npz` (every weight
in `model.weights` order, then the optimizer's state) instead of
`model.weights.h5`; a weights file held `metadata.json` and `weights.npz`.
They still load; saving them again (`model.save("x.keras")`,
`model.save_weights("x.weights.h5")`) converts them to the formats Keras reads.
"""

from mlkit.saving.archive import npz_bytes_to_arrays, read_archive, read_json
from mlkit.saving.ordered_weights import assign_in_order

FORMAT = "mlkit.model/1"
WEIGHTS_FORMAT = "mlkit.weights/1"
WEIGHTS_NAME = "model.weights.npz"


def finish_loading(model, config, parts, path, custom_objects, compile, compile_model):
    """Put the weights (and optimizer state) of an mlkit 0.1 `.keras` file into the rebuilt `model`."""
    where = repr(path)
    metadata = read_json(parts.get("metadata.json", b"{}"), where, "metadata.json")
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{where} has format {metadata.get('format')!r}; this mlkit reads {FORMAT!r} and Keras 3 files.")
    arrays = npz_bytes_to_arrays(parts[WEIGHTS_NAME], where)
    weight_count = metadata["weight_count"]
    assign_in_order(model.weights, arrays[:weight_count], where, metadata.get("weight_paths"))
    compile_config = config.get("compile_config")
    if compile and compile_config:
        optimizer = compile_model(model, compile_config, custom_objects)
        state = arrays[weight_count:]
        if state:
            optimizer.build(model.trainable_variables)
            fits = len(state) == len(optimizer.variables) and all(
                tuple(v.shape) == tuple(a.shape) for v, a in zip(optimizer.variables, state)
            )
            if fits:
                assign_in_order(optimizer.variables, state, where, what="optimizer state")
    return model


def load_weights(model, path, parts, skip_mismatch):
    """Load the weights of an mlkit 0.1 `.keras` (parts given) or weights file (parts None)."""
    where = repr(path)
    if parts is None:
        parts = read_archive(path, ["metadata.json", "weights.npz"], "weights")
        metadata = read_json(parts["metadata.json"], where, "metadata.json")
        arrays = npz_bytes_to_arrays(parts["weights.npz"], where)
    else:
        if WEIGHTS_NAME not in parts or "metadata.json" not in parts:
            raise ValueError(f"{where} is not a model file: it lacks 'model.weights.h5'.")
        metadata = read_json(parts["metadata.json"], where, "metadata.json")
        arrays = npz_bytes_to_arrays(parts[WEIGHTS_NAME], where)[: metadata["weight_count"]]
    variables = model.weights
    if skip_mismatch:
        pairs = [(v, a) for v, a in zip(variables, arrays) if tuple(v.shape) == tuple(a.shape)]
        variables, arrays = [p[0] for p in pairs], [p[1] for p in pairs]
    assign_in_order(variables, arrays, where, metadata.get("weight_paths"))
