"""Where a layer sits in a functional model: `input`, `output` and their shapes.

Calling a layer on a symbolic input (from `mlkit.Input`) records a node of
the graph instead of computing (see symbolic.py and
`mlkit.models.functional_graph`). The first such call is what these
properties describe:

    >>> import mlkit
    >>> from mlkit import layers
    >>> dense = layers.Dense(4)
    >>> _ = dense(mlkit.Input(shape=(3,)))
    >>> dense.input_shape, dense.output_shape
    ((None, 3), (None, 4))

`Layer` gets these from `GraphPosition`.
"""


class GraphPosition:
    """`input`, `output`, `input_shape`, `output_shape` (a mixin of `Layer`)."""

    def _first_node(self, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"Layer {self.name!r} has no {what} yet: it has never been called on a symbolic "
                f"input (from mlkit.Input). `{what}` is defined for layers in a functional model."
            )
        return nodes[0]

    @property
    def input(self):
        """The symbolic input(s) of the first call in a functional graph."""
        node = self._first_node("input")
        return node.call_args[0] if node.call_args else node.outputs

    @property
    def output(self):
        """The symbolic output(s) of the first call in a functional graph."""
        return self._first_node("output").outputs

    @property
    def input_shape(self):
        """`self.input.shape` (mlkit extension: Keras 2 had it, Keras 3 has only `input`)."""
        return shape_of_structure(self.input)

    @property
    def output_shape(self):
        """`self.output.shape` (mlkit extension: Keras 2 had it, Keras 3 has only `output`)."""
        return shape_of_structure(self.output)


def shape_of_structure(structure):
    """The `.shape` of each tensor, in the structure (list, dict) they come in."""
    if isinstance(structure, (list, tuple)):
        return [shape_of_structure(item) for item in structure]
    if isinstance(structure, dict):
        return {key: shape_of_structure(item) for key, item in structure.items()}
    return structure.shape
