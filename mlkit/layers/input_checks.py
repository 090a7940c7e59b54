"""Careless inputs a layer refuses with an error that names it and the fix.

Checked once, when the layer is built, or on a branch the usual call never
takes, so no training step pays for them. Without them NumPy would accept
these without a word, or answer with an error from deep inside a `build`:

- an axis of size 0 after the batch axis (`x[:, 0:0]`): there is nothing to
  compute with, and a Dense would quietly return zeros;
- complex numbers: layers, losses and gradients here are for real numbers;
- a dict or list of inputs given to a layer whose `build` reads one shape;
- a `call` that returns None (a forgotten `return`).

    >>> from mlkit import layers
    >>> import numpy as np
    >>> layers.Dense(4, name="features")(np.zeros((2, 0)))
    Traceback (most recent call last):
    ...
    ValueError: Layer 'features' (Dense) received an input of shape (2, 0), whose axis 1 has size 0: there is nothing to compute with, and the results would be empty or zeros. Check how the data was sliced or loaded; only the batch axis may be empty.
"""


def _describe(layer):
    return f"Layer {layer.name!r} ({type(layer).__name__})"


def _leaf_shapes(shapes):
    if isinstance(shapes, tuple) and all(n is None or isinstance(n, int) for n in shapes):
        return [shapes]
    if isinstance(shapes, (list, tuple)):
        return [leaf for item in shapes for leaf in _leaf_shapes(item)]
    if isinstance(shapes, dict):
        return [leaf for item in shapes.values() for leaf in _leaf_shapes(item)]
    return []


def check_build_shapes(layer, shapes):
    """Refuse an input with an empty axis after the batch axis (checked once, at build)."""
    for shape in _leaf_shapes(shapes):
        for axis, size in enumerate(shape[1:], start=1):
            if size == 0:
                raise ValueError(
                    f"{_describe(layer)} received an input of shape {shape}, whose axis {axis} has "
                    "size 0: there is nothing to compute with, and the results would be empty or "
                    "zeros. Check how the data was sliced or loaded; only the batch axis may be empty."
                )


def complex_input_error(layer, dtype):
    """The error for complex inputs (layers compute with real numbers)."""
    return TypeError(
        f"{_describe(layer)} expects real numbers (floats or integers), got an input of dtype "
        f"{dtype}. Layers, losses and gradients here work on real values: pass the real part "
        "(`x.real`), the magnitude (`np.abs(x)`), or both as separate features."
    )


def returned_none_error(layer):
    """The error for a call() that returned nothing (usually a forgotten `return`)."""
    return ValueError(
        f"{_describe(layer)}: call() returned None, but a layer must return its output. Add "
        "`return outputs` (or whatever holds the result) at the end of call(): a Python function "
        "without a return statement returns None."
    )


def structure_error(layer, shapes, error):
    """A clear error when `build` failed on a dict or list of inputs it cannot read, else None."""
    if isinstance(shapes, dict):
        given = f"a dict of inputs with keys {list(shapes)}"
        example = f"layer(inputs[{next(iter(shapes), 'key')!r}])"
    elif isinstance(shapes, list) and len(shapes) > 1:
        given = f"a list of {len(shapes)} inputs"
        example = "layer(inputs[0]), or merge them first with layers.Concatenate()"
    else:
        return None
    return ValueError(
        f"{_describe(layer)} was called on {given} (shapes {shapes}), but its build() reads the "
        f"shape of a single tensor and failed with {type(error).__name__}: {error}. Pass one tensor, "
        f"e.g. {example}; or, if the layer is meant to take several inputs, have build() and call() "
        "read them by key or position."
    )
