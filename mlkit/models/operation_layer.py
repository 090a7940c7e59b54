"""`OperationLayer`: an `mlkit.ops` function applied inside a functional graph.

Writing `y = x * 2` or `z = x + y` on symbolic tensors (from `mlkit.Input`)
adds one of these to the graph, so the model can replay the arithmetic on
real data, and save it by the op's name (no code is stored).

    >>> import mlkit
    >>> x = mlkit.Input(shape=(3,))
    >>> type((x * 2)._keras_history[0]).__name__
    'OperationLayer'
"""

import numpy as np

from mlkit import ops
from mlkit.layers.layer import Layer


class OperationLayer(Layer):
    def __init__(self, operation, constant=None, constant_first=False, arguments=None, **kwargs):
        kwargs.setdefault("autocast", False)  # keep the dtype of whatever flows in
        super().__init__(**kwargs)
        if not hasattr(ops, operation):
            raise ValueError(f"OperationLayer: mlkit.ops has no operation named {operation!r}.")
        self.operation = operation
        self.constant = constant
        self.constant_first = constant_first
        self.arguments = dict(arguments or {})
        self._function = getattr(ops, operation)

    def call(self, inputs):
        if self.operation == "get_item":
            return ops.get_item(inputs, _index_from_config(self.arguments["index"]))
        if isinstance(inputs, (list, tuple)):
            return self._function(*inputs, **self.arguments)
        if self.constant is None:
            return self._function(inputs, **self.arguments)
        constant = np.asarray(self.constant, dtype=inputs.dtype) if not isinstance(self.constant, (int, float)) else self.constant
        if self.constant_first:
            return self._function(constant, inputs, **self.arguments)
        return self._function(inputs, constant, **self.arguments)

    def get_config(self):
        config = super().get_config()
        constant = self.constant
        if constant is not None and not isinstance(constant, (int, float)):
            constant = np.asarray(getattr(constant, "data", constant)).tolist()
        arguments = dict(self.arguments)
        if "index" in arguments:
            arguments["index"] = _index_to_config(arguments["index"])
        config.update(
            {"operation": self.operation, "constant": constant, "constant_first": self.constant_first, "arguments": arguments}
        )
        return config


def _index_to_config(index):
    """A slicing index as JSON: slices become {"slice": [start, stop, step]}."""
    if isinstance(index, tuple):
        return {"tuple": [_index_to_config(i) for i in index]}
    if isinstance(index, slice):
        return {"slice": [index.start, index.stop, index.step]}
    if index is Ellipsis:
        return {"ellipsis": True}
    return index


def _index_from_config(index):
    if isinstance(index, dict):
        if "tuple" in index:
            return tuple(_index_from_config(i) for i in index["tuple"])
        if "slice" in index:
            return slice(*index["slice"])
        if "ellipsis" in index:
            return Ellipsis
    return index
