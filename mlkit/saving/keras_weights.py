"""Weights in Keras 3's HDF5 layout: what `model.weights.h5` and `x.weights.h5` hold.

Keras stores a model's weights as a tree of HDF5 groups that follows the
model's structure, not its layer names:

    layers/conv2d/vars/0, 1          a Sequential's or functional model's layers, named
    layers/dense/vars/0, 1           after their class (dense, dense_1, ...) in order
    layers/lstm/cell/vars/0, 1, 2    a sublayer, under the attribute that holds it
    optimizer/vars/0, 1, ...         the optimizer: iteration, learning rate, slots
    vars                             the model's own variables (usually none)

Each `vars` group lists its owner's variables (trainable first, as
`layer.weights` does) as datasets `0`, `1`, ..., and names its owner in
the attribute `name`. Loading checks the whole file against the model first
and reports what is missing, unexpected or of the wrong shape, then assigns:
a mistake changes nothing. When the file's layer names are exactly the
model's, weights follow the names (a reordered model still gets each
layer's own weights); otherwise they follow the structure, as in Keras.

    >>> import io, mlkit
    >>> from mlkit.saving import keras_weights
    >>> model = mlkit.Sequential([mlkit.Input(shape=(3,)), mlkit.layers.Dense(2)])
    >>> [path for path, _, _ in keras_weights.weight_groups(model)]
    ['vars', 'layers/dense/vars']
"""

import io
import math
import warnings

import numpy as np

from mlkit.saving import limits
from mlkit.utils.naming import to_snake_case

OPTIMIZER_GROUP = "optimizer/vars"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading and writing .weights.h5 and .keras files needs h5py: pip install h5py "
            "(it is a dependency of mlkit; reinstall mlkit to get it)."
        ) from None
    return h5py


# -- the model's tree of weight groups --------------------------------------------------
def weight_groups(model):
    """[(group path, owner name, [variables])]: where each layer's weights go, as Keras lays them out."""
    # Imported on use: saving sits below layers and models, which import its registry.
    from mlkit.layers.layer import Layer

    groups, visited = [], set()

    def visit(layer, path):
        if id(layer) in visited:
            return
        visited.add(id(layer))
        groups.append((_join(path, "vars"), layer.name, layer._own_variables()))
        for attribute, child in _children(layer, Layer):
            if isinstance(child, list):
                visit_container(child, _join(path, attribute))
            else:
                visit(child, _join(path, attribute))

    def visit_container(layers, path):
        used = {}
        for layer in layers:
            name = to_snake_case(type(layer).__name__)
            count = used.get(name, 0)
            used[name] = count + 1
            visit(layer, _join(path, name if count == 0 else f"{name}_{count}"))

    visit(model, "")
    return groups


def _children(layer, layer_class):
    """(attribute, sublayer or list of sublayers), in the order Keras walks them."""
    # Imported on use: saving sits below layers and models, which import its registry.
    from mlkit.models.functional import Functional
    from mlkit.models.sequential import Sequential

    is_graph = isinstance(layer, (Sequential, Functional))
    children = [("layers", list(layer.layers))] if is_graph else []
    for attribute in sorted(vars(layer)):
        if attribute.startswith("__") or (is_graph and attribute.startswith("_")):
            continue
        value = vars(layer)[attribute]
        if isinstance(value, layer_class):
            children.append((attribute, value))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(item, layer_class) for item in value):
            children.append((attribute, list(value)))
    return children


def _join(path, name):
    return f"{path}/{name}" if path else name


# -- writing --------------------------------------------------------------------------------
def write_weights(model, target, optimizer=None):
    """Write `model`'s weights (and `optimizer`'s variables, if given) to `target` (a path or a binary file)."""
    h5py = _h5py()
    with h5py.File(target, "w") as store:
        for path, name, variables in weight_groups(model):
            _write_group(store, path, name, [variable.numpy() for variable in variables])
        if optimizer is not None and optimizer.variables:
            _write_group(store, OPTIMIZER_GROUP, optimizer.name, [variable.numpy() for variable in optimizer.variables])


def weights_bytes(model, optimizer=None):
    """The bytes of a `.weights.h5` file holding `model`'s weights (for a `.keras` archive)."""
    buffer = io.BytesIO()
    write_weights(model, buffer, optimizer)
    return buffer.getvalue()


def _write_group(store, path, name, arrays):
    group = store.require_group(path)
    group.attrs["name"] = name
    for index, array in enumerate(arrays):
        group.create_dataset(str(index), data=array)


# -- reading ---------------------------------------------------------------------------------
def read_weights(source, where):
    """{group path: (owner name, [arrays])} for every `vars` group of an HDF5 weights file.

    Every dataset's size is checked against the bytes it really occupies in
    the file before it is read.
    """
    h5py = _h5py()
    try:
        store = h5py.File(source, "r")
    except OSError as error:
        raise ValueError(
            f"{where} is not an HDF5 weights file ({error}). Weights files are written by "
            "model.save_weights('name.weights.h5') in mlkit or Keras 3."
        ) from None
    found = {}
    with store:
        paths = []
        store.visit(lambda path: paths.append(path) if path.rsplit("/", 1)[-1] == "vars" else None)
        for path in paths:
            group = store[path]
            if not isinstance(group, h5py.Group):
                continue
            name = group.attrs.get("name", "")
            name = name.decode() if isinstance(name, bytes) else str(name)
            keys = sorted(group.keys(), key=lambda key: int(key) if key.isdigit() else -1)
            if any(not key.isdigit() for key in keys) or keys != [str(i) for i in range(len(keys))]:
                raise ValueError(f"{where}: group {path!r} holds {keys}, not datasets 0, 1, ...; the file is corrupted.")
            found[path] = (name, [_read_dataset(group[key], f"{path}/{key}", where, h5py) for key in keys])
    return found


def _read_dataset(dataset, path, where, h5py):
    if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "biuf":
        raise ValueError(f"{where}: {path!r} is not a numeric array; the file is corrupted or forged.")
    declared = math.prod(dataset.shape) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > limits.max_weight_bytes:
        raise ValueError(
            f"{where}: array {path!r} of shape {dataset.shape} would take {declared:,} bytes, more than "
            f"{limits.described('max_weight_bytes')}. If you trust the file, raise that limit."
        )
    if declared > max(stored, 1024) * limits.max_compression_ratio or (declared > 1024 and stored == 0):
        raise ValueError(
            f"{where}: array {path!r} declares shape {dataset.shape} ({declared:,} bytes) but occupies "
            f"only {stored:,} bytes of the file; the file is corrupted or forged. If it is "
            f"compressed on purpose, raise {limits.described('max_compression_ratio')}."
        )
    return np.asarray(dataset[()])


# -- matching and assigning -------------------------------------------------------------------
def assign_weights(model, stored, where, skip_mismatch=False):
    """Put the file's arrays into `model`'s variables; report every difference, change nothing on error."""
    expected = [(path, name, variables) for path, name, variables in weight_groups(model) if variables]
    offered = {path: entry for path, entry in stored.items() if path != OPTIMIZER_GROUP and entry[1]}
    by_name = _match_by_name(expected, offered)
    pairs, missing, mismatched, used = [], [], [], set()
    for path, name, variables in expected:
        source = by_name.get(path, path) if by_name else path
        if source not in offered:
            missing.append(f"{name!r} ({path}: {[v.name for v in variables]})")
            continue
        used.add(source)
        arrays = offered[source][1]
        shapes = [tuple(a.shape) for a in arrays]
        wanted = [tuple(v.shape) for v in variables]
        if shapes != wanted:
            mismatched.append(f"{name!r} ({path}) has shapes {wanted} in the model but {shapes} in the file")
            continue
        pairs.extend(zip(variables, arrays))
    unexpected = [f"{offered[path][0]!r} ({path})" for path in offered if path not in used]
    problems = [
        (f"missing from the file: {', '.join(missing)}", missing),
        (f"different shapes: {'; '.join(mismatched)}", mismatched),
        (f"in the file but not in the model: {', '.join(unexpected)}", unexpected),
    ]
    report = " ".join(f"{text}." for text, items in problems if items)
    if report and not skip_mismatch:
        in_file = sum(len(arrays) for _, arrays in offered.values())
        in_model = sum(len(variables) for _, _, variables in expected)
        counts = f"the file holds {in_file} weights, but the model has {in_model}: " if in_file != in_model else ""
        raise ValueError(
            f"Cannot load the weights of {where} into model {model.name!r}: {counts}the architectures "
            f"differ. {report} Nothing was loaded. Build the same model as the one saved, or pass "
            "skip_mismatch=True to load only the layers that fit."
        )
    if report:
        warnings.warn(f"Loading {where} into model {model.name!r}: skipped what does not fit. {report}", stacklevel=3)
    for variable, array in pairs:
        variable.assign(array)


def _match_by_name(expected, offered):
    """{model group path: file group path} when the file names exactly the model's layers, else {}."""
    model_names = [name for _, name, _ in expected]
    file_names = {entry[0]: path for path, entry in offered.items()}
    if len(set(model_names)) != len(model_names) or len(file_names) != len(offered):
        return {}
    if set(model_names) != set(file_names):
        return {}
    return {path: file_names[name] for path, name, _ in expected}


def assign_optimizer_state(optimizer, stored, where):
    """Restore the optimizer's variables from the file; warn and keep it fresh when they do not fit."""
    entry = stored.get(OPTIMIZER_GROUP)
    if entry is None or optimizer is None:
        return
    arrays = entry[1]
    fits = len(arrays) == len(optimizer.variables) and all(
        tuple(variable.shape) == tuple(array.shape) for variable, array in zip(optimizer.variables, arrays)
    )
    if not fits:
        warnings.warn(
            f"{where}: skipped the optimizer state of {optimizer.name!r}: the file holds "
            f"{len(arrays)} optimizer variables, but the model's optimizer has "
            f"{len(optimizer.variables)} (its trainable variables differ from the saved model's). "
            "The weights are loaded; training resumes with a fresh optimizer. Pass compile=False "
            "to silence this and compile the model yourself.",
            stacklevel=3,
        )
        return
    for variable, array in zip(optimizer.variables, arrays):
        variable.assign(array)
