"""`Functional`: a model defined by wiring layers between `Input`s and outputs.

`Model(inputs, outputs)` walks back from the outputs through the recorded
nodes to the inputs, keeps the nodes in an order where every node comes
after the ones it needs, and replays them on real data in `call`.

    >>> import mlkit
    >>> a, b = mlkit.Input(shape=(3,)), mlkit.Input(shape=(5,))
    >>> merged = mlkit.layers.Dense(4)(a) + mlkit.layers.Dense(4)(b)
    >>> model = mlkit.Model([a, b], merged)
    >>> [layer.__class__.__name__ for layer in model.layers][:2]
    ['InputLayer', 'InputLayer']
"""

from mlkit.layers.input_spec import InputSpec
from mlkit.layers.core.input_layer import InputLayer
from mlkit.layers.keras_tensor import KerasTensor
from mlkit.models.model import Model
from mlkit.utils.tree import flatten, map_structure


class Functional(Model):
    def __init__(self, inputs, outputs, name=None, **kwargs):
        Model.__init__(self, name=name, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        input_tensors = _check_tensors(flatten(inputs), "inputs")
        output_tensors = _check_tensors(flatten(outputs), "outputs")
        for tensor in input_tensors:
            if not isinstance(tensor._keras_history[0], InputLayer):
                raise ValueError(
                    f"Model inputs must come from mlkit.Input(), but {tensor.name!r} was produced "
                    f"by layer {tensor._keras_history[0].name!r}. Pass the Input tensors themselves."
                )
        self._input_tensors = input_tensors
        self._output_tensors = output_tensors
        self._nodes = _nodes_between(input_tensors, output_tensors)
        layers = [t._keras_history[0] for t in input_tensors]
        for node in self._nodes:
            if not any(node.layer is known for known in layers):
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"All layer names in a model must be unique, but {repeated} appear more than once. "
                "Give each layer its own name=... ."
            )
        self._operations = layers
        self.input_spec = [InputSpec(shape=t.shape, allow_last_axis_squeeze=False) for t in input_tensors]
        self.built = True

    @property
    def layers(self):
        return list(self._operations)

    @property
    def inputs(self):
        return list(self._input_tensors)

    @property
    def outputs(self):
        return list(self._output_tensors)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def output_names(self):
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history[0].name for t in self._output_tensors]

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self._input_tensors]

    def _output_names(self):
        return self.output_names

    def call(self, inputs, training=None, mask=None):
        values = {}
        for tensor, value in zip(self._input_tensors, self._flatten_inputs(inputs)):
            values[id(tensor)] = value

        def resolve(item):
            return values[id(item)] if isinstance(item, KerasTensor) else item

        for node in self._nodes:
            args = map_structure(resolve, node.call_args)
            kwargs = map_structure(resolve, node.call_kwargs)
            outputs = node.layer(*args, **kwargs)
            for tensor, value in zip(node.output_tensors, flatten(outputs)):
                values[id(tensor)] = value
        return map_structure(resolve, self._outputs_struct)

    def _flatten_inputs(self, inputs):
        expected = len(self._input_tensors)
        if isinstance(self._inputs_struct, dict):
            if not isinstance(inputs, dict):
                raise ValueError(
                    f"Model {self.name!r} expects a dict of inputs with keys "
                    f"{list(self._inputs_struct)}, got {type(inputs).__name__}."
                )
            missing = [key for key in self._inputs_struct if key not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r}: inputs {missing} are missing from the dict.")
            return [inputs[key] for key in self._inputs_struct]
        if isinstance(inputs, dict):
            names = self.input_names
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(
                    f"Model {self.name!r} got a dict of inputs, but the keys must be the Input "
                    f"names {names}; missing {missing}."
                )
            return [inputs[name] for name in names]
        flat = flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != expected:
            raise ValueError(
                f"Model {self.name!r} expects {expected} input(s) but received {len(flat)}. "
                + ("Pass them as a list in the order of model.inputs." if expected > 1 else "")
            )
        return flat

    def compute_output_shape(self, input_shape):
        return map_structure(lambda t: t.shape, self._outputs_struct)

    # -- configuration --------------------------------------------------------
    def get_config(self):
        from mlkit.saving.functional_config import functional_config

        return functional_config(self)


_functional_versions = {}


def functional_version(model_class):
    """`model_class` with `Functional` behind it, for `MyModel(inputs, outputs)`.

    The new class keeps `model_class`'s name and methods (its `train_step`,
    say) and takes the graph, `call` and config from `Functional`;
    `isinstance(model, MyModel)` stays true.
    """
    found = _functional_versions.get(model_class)
    if found is None:
        namespace = {"__module__": model_class.__module__, "__qualname__": model_class.__qualname__,
                     "__doc__": model_class.__doc__}
        if "_registered_name" in model_class.__dict__:
            namespace["_registered_name"] = model_class.__dict__["_registered_name"]
        found = type(model_class.__name__, (model_class, Functional), namespace)
        _functional_versions[model_class] = found
    return found


def _check_tensors(tensors, what):
    for tensor in tensors:
        if not isinstance(tensor, KerasTensor):
            raise TypeError(
                f"All model {what} must be symbolic tensors from mlkit.Input() and layer calls on "
                f"them; got {type(tensor).__name__}. Did you pass a NumPy array or a layer?"
            )
    return tensors


def _nodes_between(input_tensors, output_tensors):
    """The nodes leading from the inputs to the outputs, each after its parents."""
    input_ids = {id(t) for t in input_tensors}
    order, visited, reached_inputs = [], set(), set()

    def visit(tensor, path):
        if id(tensor) in input_ids:
            reached_inputs.add(id(tensor))
            return
        layer, node_index, _ = tensor._keras_history
        if isinstance(layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: the output depends on Input {layer.name!r}, which is not "
                f"among the model's inputs {[t.name for t in input_tensors]}. Add it to inputs."
            )
        node = layer._inbound_nodes[node_index]
        if id(node) in visited:
            return
        if id(node) in path:
            raise ValueError(f"The graph has a cycle through layer {layer.name!r}.")
        for parent in node.input_tensors:
            visit(parent, path | {id(node)})
        visited.add(id(node))
        order.append(node)

    for tensor in output_tensors:
        visit(tensor, frozenset())
    unused = [t.name for t in input_tensors if id(t) not in reached_inputs and t not in output_tensors]
    if unused:
        import warnings

        warnings.warn(f"Model inputs {unused} are not used to compute any output.", stacklevel=3)
    return order
