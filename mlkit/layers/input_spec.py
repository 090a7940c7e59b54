"""`InputSpec`: what a layer promises to accept, checked before `build`/`call`.

A layer sets `self.input_spec` (one spec, or a list for several inputs) and
`__call__` compares every input against it, so a wrong shape fails early
with a message that names the layer, instead of deep inside NumPy.

    >>> from mlkit.layers import InputSpec
    >>> InputSpec(min_ndim=2, axes={-1: 4})
    InputSpec(min_ndim=2, axes={-1: 4})

A None entry in a shape matches any size.
"""

import numpy as np


class InputSpec:
    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        from mlkit.ops.core import standardize_dtype

        self.dtype = None if dtype is None else standardize_dtype(dtype)
        self.shape = None if shape is None else tuple(None if n is None else int(n) for n in shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional
        try:
            self.axes = {int(key): value for key, value in (axes or {}).items()}
        except (AttributeError, TypeError, ValueError):
            raise TypeError(f"InputSpec: `axes` must be a dict with integer keys, got axes={axes!r}.") from None
        rank = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and rank is not None and max(self.axes) > rank - 1:
            raise ValueError(
                f"InputSpec: axis {max(self.axes)} is greater than the largest axis allowed "
                f"by ndim/max_ndim ({rank - 1})."
            )

    def __repr__(self):
        fields = ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
        parts = [f"{field}={getattr(self, field)}" for field in fields if getattr(self, field)]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise ValueError if an input breaks its spec.

    `inputs` is a tensor, a list/tuple/dict of them, or a list of shape
    tuples (None entries mean an unknown size, as in `mlkit.Input(shape=(None, 3))`).
    """
    if not input_spec:
        return
    specs = _flatten(input_spec)
    if isinstance(inputs, dict) and all(getattr(spec, "name", None) for spec in specs):
        missing = [spec.name for spec in specs if spec.name not in inputs]
        if missing:
            raise ValueError(
                f'Layer "{layer_name}": missing data for input "{missing[0]}". You passed a dict '
                f"with keys {list(inputs)}; expected the keys {[spec.name for spec in specs]}."
            )
        inputs = [inputs[spec.name] for spec in specs]
    items = _flatten(inputs)
    if len(items) != len(specs):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(items)} input tensors. Pass {'a list of ' + str(len(specs)) + ' tensors' if len(specs) > 1 else 'one tensor'}."
        )
    for index, (spec, item) in enumerate(zip(specs, items)):
        if spec is None or (item is None and spec.optional):
            continue
        _check(spec, item, index, layer_name)


def _flatten(structure):
    """The leaves of a (nested) list/tuple/dict; a shape tuple counts as one leaf."""
    if isinstance(structure, (list, tuple)) and not _is_shape(structure):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten(item)]
    return [structure]


def _is_shape(value):
    return isinstance(value, tuple) and all(
        n is None or (isinstance(n, (int, np.integer)) and not isinstance(n, bool)) for n in value
    )


def _check(spec, item, index, layer_name):
    if _is_shape(item):
        shape, dtype = item, None
    elif hasattr(item, "shape"):
        shape, dtype = tuple(item.shape), getattr(item, "dtype", None)
    else:
        raise ValueError(
            f"Inputs to a layer should be tensors. Got {item!r} (of type {type(item).__name__}) "
            f'as input {index} for layer "{layer_name}".'
        )
    ndim = len(shape)
    where = f'Input {index}{_named(spec)} of layer "{layer_name}" is incompatible with the layer'
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(
            f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: "
            f"{shape}.{_rank_hint(spec.ndim, ndim)}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(
            f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. Full shape received: {shape}."
        )
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(
            f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: "
            f"{shape}.{_rank_hint(spec.min_ndim, ndim)}"
        )
    if spec.dtype is not None and dtype is not None and str(dtype) != spec.dtype:
        raise ValueError(
            f"{where}: expected dtype={spec.dtype}, found dtype={dtype}. Cast the input first, "
            f"e.g. `ops.cast(x, {spec.dtype!r})`."
        )
    for axis, value in spec.axes.items():
        if value is None:
            continue
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"{where}: axis {axis} is out of bounds for an input with ndim={ndim}. "
                f"Full shape received: {shape}."
            )
        if shape[axis] is not None and shape[axis] != value:
            raise ValueError(
                f"{where}: expected axis {axis} of input shape to have value {value}, but received "
                f"input with shape {shape}. The layer was built for inputs whose axis {axis} has "
                f"size {value}: pass data of that size, or create a new layer for the new size."
            )
    if spec.shape is not None:
        spec_shape, got = spec.shape, shape
        if spec.allow_last_axis_squeeze:
            if len(got) == len(spec_shape) + 1 and got[-1] == 1:
                got = got[:-1]
            elif len(spec_shape) == len(got) + 1 and spec_shape[-1] == 1:
                spec_shape = spec_shape[:-1]
        for want, size in zip(spec_shape, got):
            if want is not None and size is not None and want != size:
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}.")


def _named(spec):
    return f" (named '{spec.name}')" if spec.name else ""


def _rank_hint(expected, got):
    if got + 1 == expected:
        return (
            " Layers work on batches: add a batch axis, e.g. "
            "`x[None, ...]` or `ops.expand_dims(x, 0)` for a single sample."
        )
    return ""
