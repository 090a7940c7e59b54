"""Shape inference: what comes out of a layer, without real data.

`infer_output_shape` runs `call` on placeholder zeros. Unknown sizes (None)
are tried at two different values; an output axis that follows them is
reported as None too. Weights' values and added losses are restored
afterwards, so a dry run leaves no trace (a running sum stays unchanged).
"""

import numpy as np

from mlkit.layers.layer_losses import loss_holders
from mlkit.ops.autodiff import no_recording
from mlkit.ops.tensor import Tensor

_TRIAL_SIZES = (2, 3)


def _placeholder(shape, size, dtype):
    return Tensor(np.zeros(tuple(size if n is None else n for n in shape), dtype=dtype))


def _map_shapes(structure, function):
    if isinstance(structure, tuple) and all(n is None or isinstance(n, (int, np.integer)) for n in structure):
        return function(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_shapes(s, function) for s in structure)
    if isinstance(structure, dict):
        return {key: _map_shapes(s, function) for key, s in structure.items()}
    raise TypeError(f"Expected a shape tuple (or a list/dict of them), got {structure!r}.")


def _output_shapes(outputs):
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_output_shapes(o) for o in outputs)
    if isinstance(outputs, dict):
        return {key: _output_shapes(o) for key, o in outputs.items()}
    return tuple(np.shape(getattr(outputs, "data", outputs)))


def _merge(first, second):
    """Axes that changed between the two trials are unknown (None)."""
    if isinstance(first, tuple) and all(isinstance(n, (int, np.integer)) for n in first):
        return tuple(int(a) if a == b else None for a, b in zip(first, second))
    if isinstance(first, (list, tuple)):
        return type(first)(_merge(a, b) for a, b in zip(first, second))
    if isinstance(first, dict):
        return {key: _merge(first[key], second[key]) for key in first}
    return first


def dry_run(layer, input_shape, *call_args, dtype=None, **call_kwargs):
    """Call `layer` on zeros of `input_shape` (None -> trial sizes); return output shapes."""
    dtype = dtype or layer.compute_dtype
    shapes = []
    for size in _TRIAL_SIZES:
        inputs = _map_shapes(input_shape, lambda shape, size=size: _placeholder(shape, size, dtype))
        snapshot = [(v, v.data) for v in layer.weights]
        holders = [(l, list(l._losses)) for l in layer._flatten_layers()]
        try:
            with no_recording(), np.errstate(all="ignore"):
                outputs = layer(inputs, *call_args, **call_kwargs)
        finally:
            for variable, value in snapshot:
                variable.data = value
            for sub, losses in holders:
                sub._losses = losses
                if losses and not any(holder is sub for holder in loss_holders):
                    loss_holders.append(sub)  # the call above may have cleared it
        shapes.append(_output_shapes(outputs))
    return _merge(*shapes)


def infer_output_shape(layer, input_shape):
    return dry_run(layer, input_shape)


def symbolic_call(layer, inputs, args, kwargs):
    from mlkit.models.functional_graph import call_on_symbolic

    return call_on_symbolic(layer, inputs, args, kwargs)
