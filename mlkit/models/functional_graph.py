"""Calling a layer on symbolic tensors: infer the output shape, record a Node.

This is what happens in `y = Dense(4)(x)` when `x` came from `mlkit.Input`:
the layer is built for x's shape, its output shape is worked out (from
`compute_output_shape`, or by a dry run on placeholder zeros), and the call
is remembered in `layer._inbound_nodes` for `Model(inputs, outputs)` to
replay later on real data.
"""

from mlkit.layers.symbolic import dry_run
from mlkit.layers.keras_tensor import KerasTensor, Node
from mlkit.utils.tree import flatten, map_structure


def _shape_structure(inputs):
    return map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs)


def _output_shape(layer, input_shapes, call_kwargs):
    from mlkit.layers.layer import Layer

    overridden = type(layer).compute_output_shape is not Layer.compute_output_shape
    if overridden and not call_kwargs:
        try:
            shape = layer.compute_output_shape(input_shapes)
        except NotImplementedError:
            pass
        else:
            # A list of sizes is one shape, as in Keras (a list of tuples is several).
            if isinstance(shape, list) and shape and _is_shape(tuple(shape)):
                return tuple(shape)
            return shape
    return dry_run(layer, input_shapes, **call_kwargs)


def _is_shape(value):
    return isinstance(value, tuple) and all(n is None or isinstance(n, int) for n in value)


def call_on_symbolic(layer, inputs, args, kwargs):
    """`layer(inputs)` for symbolic inputs: returns symbolic outputs."""
    input_shapes = _shape_structure(inputs)
    if not layer.built:
        layer._build_for(input_shapes)
    if layer.input_spec is not None:
        from mlkit.layers.input_spec import assert_input_compatibility

        shapes = [t.shape for t in flatten(inputs) if isinstance(t, KerasTensor)]
        assert_input_compatibility(layer.input_spec, shapes, layer.name)
    plain_kwargs = {k: v for k, v in kwargs.items() if k not in ("training", "mask")}
    if any(isinstance(a, KerasTensor) for a in args):
        raise NotImplementedError(
            f"Layer {layer.name!r} was given symbolic tensors as extra positional arguments. "
            "Pass all symbolic inputs as one list: layer([a, b])."
        )
    if args:
        output_shapes = dry_run(layer, input_shapes, *args, **plain_kwargs)
    else:
        output_shapes = _output_shape(layer, input_shapes, plain_kwargs)
    if not hasattr(layer, "_inbound_nodes") or layer._inbound_nodes is None:
        layer._inbound_nodes = []
    node_index = len(layer._inbound_nodes)
    counter = iter(range(10**9))

    symbolic_inputs = [t for t in flatten(inputs) if isinstance(t, KerasTensor)]
    dtype = layer.compute_dtype if layer.autocast or not symbolic_inputs else symbolic_inputs[0].dtype

    def make(shape):
        index = next(counter)
        name = layer.name if index == 0 else f"{layer.name}_{index}"
        return KerasTensor(shape, dtype=dtype, name=name, history=(layer, node_index, index))

    outputs = map_structure_shapes(make, output_shapes)
    layer._inbound_nodes.append(Node(layer, (inputs,) + tuple(args), dict(kwargs), outputs))
    return outputs


def map_structure_shapes(function, shapes):
    if _is_shape(shapes):
        return function(shapes)
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(map_structure_shapes(function, s) for s in shapes)
    if isinstance(shapes, dict):
        return {key: map_structure_shapes(function, s) for key, s in shapes.items()}
    raise TypeError(f"Layer output shape must be a tuple (or a list/dict of them), got {shapes!r}.")
