"""Symbolic tensors: placeholders that record how a functional model is wired.

`mlkit.Input(shape=(8,))` returns a `KerasTensor`: a shape and a dtype, no
values. Calling a layer on it does not compute anything; it records a `Node`
(this layer was applied to these tensors and produced those) and returns new
symbolic tensors. `Model(inputs, outputs)` later walks those nodes.

    >>> import mlkit
    >>> x = mlkit.Input(shape=(8,))
    >>> y = mlkit.layers.Dense(4)(x)
    >>> y.shape
    (None, 4)
"""

from mlkit.ops.core import standardize_dtype
from mlkit.utils.tree import flatten, map_structure


class KerasTensor:
    _is_symbolic_tensor = True

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(shape)
        self.dtype = standardize_dtype(dtype)
        self.name = name
        # (layer, node_index, tensor_index): which call produced this tensor.
        self._keras_history = history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError(
            "A symbolic tensor (from mlkit.Input) has no value, so it cannot be used in an "
            "`if` or `while`. Put value-dependent logic inside a layer's call()."
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic tensor (from mlkit.Input) has no value to convert to a NumPy array. "
            "Apply layers to it to build a model, then call the model on real data."
        )

    # Arithmetic on symbolic tensors becomes a small layer in the graph.
    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", other, self)

    def __sub__(self, other):
        return _binary("subtract", self, other)

    def __rsub__(self, other):
        return _binary("subtract", other, self)

    def __mul__(self, other):
        return _binary("multiply", self, other)

    def __rmul__(self, other):
        return _binary("multiply", other, self)

    def __truediv__(self, other):
        return _binary("divide", self, other)

    def __rtruediv__(self, other):
        return _binary("divide", other, self)

    def __matmul__(self, other):
        return _binary("matmul", self, other)

    def __pow__(self, other):
        return _binary("power", self, other)

    def __neg__(self):
        return _unary("negative", self)

    def __getitem__(self, index):
        from mlkit.models.operation_layer import OperationLayer

        return OperationLayer("get_item", arguments={"index": index})(self)


def _binary(op_name, left, right):
    from mlkit.models.operation_layer import OperationLayer

    symbolic = [t for t in (left, right) if isinstance(t, KerasTensor)]
    if len(symbolic) == 2:
        return OperationLayer(op_name)([left, right])
    constant, first = (right, True) if isinstance(left, KerasTensor) else (left, False)
    return OperationLayer(op_name, constant=constant, constant_first=not first)(symbolic[0])


def _unary(op_name, tensor):
    from mlkit.models.operation_layer import OperationLayer

    return OperationLayer(op_name)(tensor)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


class Node:
    """One call of a layer in a functional graph: inputs in, outputs out."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args  # the (possibly nested) positional arguments
        self.call_kwargs = call_kwargs
        self.outputs = outputs  # the output structure of KerasTensors
        self.input_tensors = [t for t in flatten((call_args, call_kwargs)) if isinstance(t, KerasTensor)]
        self.output_tensors = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self):
        nodes = []
        for tensor in self.input_tensors:
            layer, node_index, _ = tensor._keras_history
            nodes.append(layer._inbound_nodes[node_index])
        return nodes
