"""The config of a functional model: its layers and how they are wired.

Each layer's entry lists the calls that belong to this model ("inbound
nodes"); every symbolic tensor in a call's arguments is written as
`[layer name, node index, tensor index]`, which is enough to replay the
calls in order when loading.
"""

from mlkit.saving.model_config import deserialize_layer
from mlkit.saving.serialization import serialize_keras_object
from mlkit.utils.tree import flatten, map_structure


def _model_nodes(model, layer):
    """The calls of `layer` that belong to `model`, in order."""
    mine = {id(node) for node in model._nodes}
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if type(layer).__name__ == "InputLayer":
        return nodes[:1]
    return [node for node in nodes if id(node) in mine]


def functional_config(model):
    # Imported here, not at the top: the saving folder sits below models (layers
    # and models import its registry), and this runs only once a model exists.
    from mlkit.layers.keras_tensor import KerasTensor

    local_index = {}
    for layer in model._operations:
        for position, node in enumerate(_model_nodes(model, layer)):
            local_index[id(node)] = position

    def history(tensor):
        layer, node_index, tensor_index = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        return [layer.name, local_index[id(node)], tensor_index]

    def serialize_argument(value):
        if isinstance(value, KerasTensor):
            return {
                "class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype, "keras_history": history(value)},
            }
        return value

    layer_entries = []
    for layer in model._operations:
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = []
        if type(layer).__name__ != "InputLayer":
            for node in _model_nodes(model, layer):
                entry["inbound_nodes"].append(
                    {
                        "args": map_structure(serialize_argument, list(node.call_args)),
                        "kwargs": map_structure(serialize_argument, dict(node.call_kwargs)),
                    }
                )
        layer_entries.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_entries,
        "input_layers": map_structure(history, model._inputs_struct),
        "output_layers": map_structure(history, model._outputs_struct),
    }


def _is_history(value):
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and all(isinstance(v, int) for v in value[1:])


def _map_histories(function, structure):
    if _is_history(structure):
        return function(structure)
    if isinstance(structure, list):
        return [_map_histories(function, item) for item in structure]
    if isinstance(structure, dict):
        return {key: _map_histories(function, item) for key, item in structure.items()}
    return structure


def functional_from_config(cls, config, custom_objects=None):
    layers = {}
    produced = {}  # (layer name, node index) -> output structure
    pending = []
    for entry in config["layers"]:
        layer = deserialize_layer(entry, custom_objects)
        name = entry.get("name", layer.name)
        layers[name] = layer
        if type(layer).__name__ == "InputLayer":
            produced[(name, 0)] = layer._inbound_nodes[0].outputs
        for index, node in enumerate(entry.get("inbound_nodes", [])):
            pending.append((name, index, node))

    def tensor_for(history):
        name, node_index, tensor_index = history
        outputs = produced[(name, node_index)]
        flat = flatten(outputs)
        return flat[tensor_index]

    def ready(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, node_index, _ = value["config"]["keras_history"]
            return (name, node_index) in produced
        if isinstance(value, list):
            return all(ready(v) for v in value)
        if isinstance(value, dict):
            return all(ready(v) for v in value.values())
        return True

    def restore(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return tensor_for(value["config"]["keras_history"])
        if isinstance(value, list):
            return [restore(v) for v in value]
        if isinstance(value, dict):
            return {key: restore(v) for key, v in value.items()}
        return value

    while pending:
        progressed = False
        for item in list(pending):
            name, index, node = item
            if ready(node["args"]) and ready(node["kwargs"]):
                args, kwargs = restore(node["args"]), restore(node["kwargs"])
                produced[(name, index)] = layers[name](*args, **kwargs)
                pending.remove(item)
                progressed = True
        if not progressed:
            stuck = sorted({name for name, _, _ in pending})
            raise ValueError(
                f"Cannot rebuild the functional model {config.get('name')!r}: the calls of layers "
                f"{stuck} depend on tensors that are never produced. The config is inconsistent."
            )
    inputs = _map_histories(tensor_for, config["input_layers"])
    outputs = _map_histories(tensor_for, config["output_layers"])
    return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))

