"""`InputSpec`: what a layer promises to accept, checked before `build`/`call`.

A layer sets `self.input_spec` (one spec, or a list for several inputs) and
`__call__` compares every input against it, so a wrong shape fails early
with a message that names the layer, instead of deep inside NumPy.

    >>> from mlkit.layers import InputSpec
    >>> InputSpec(min_ndim=2, axes={-1: 4})
    InputSpec(min_ndim=2, axes={-1: 4})
"""


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
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        fields = ("dtype", "shape", "ndim", "max_ndim", "min_ndim")
        parts = [f"{f}={getattr(self, f)!r}" for f in fields if getattr(self, f) is not None]
        if self.axes:
            parts.append(f"axes={self.axes!r}")
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_input_compatibility(specs, inputs_shapes, layer_name):
    """Raise ValueError if an input's shape breaks its spec.

    `inputs_shapes` is a list with one shape tuple per input (None entries
    mean an unknown size, as in `mlkit.Input(shape=(None, 3))`).
    """
    if specs is None:
        return
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    if len(inputs_shapes) != len(specs) and not all(s is None for s in specs):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(inputs_shapes)} input tensors. Pass them as a list of {len(specs)} tensors."
        )
    for index, (spec, shape) in enumerate(zip(specs, inputs_shapes)):
        if spec is None:
            continue
        ndim = len(shape)
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer'
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(
                f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}."
                f"{_rank_hint(spec.ndim, ndim)}"
            )
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(
                f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}. "
                f"Full shape received: {shape}."
            )
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                f"Full shape received: {shape}.{_rank_hint(spec.min_ndim, ndim)}"
            )
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if not -ndim <= axis < ndim:
                raise ValueError(
                    f"{where}: expected axis {axis} to exist with size {value}, but the input "
                    f"has shape {shape}."
                )
            got = shape[axis]
            if got is not None and got != value:
                raise ValueError(
                    f"{where}: expected axis {axis} of the input shape to have value {value}, "
                    f"but received input with shape {shape}. The layer was built for inputs "
                    f"whose axis {axis} is {value}; create a new layer for the new size."
                )
        if spec.shape is not None:
            for axis, (want, got) in enumerate(zip(spec.shape, shape)):
                if want is not None and got is not None and want != got:
                    raise ValueError(
                        f"{where}: expected shape={spec.shape}, found shape={shape}."
                    )


def _rank_hint(expected, got):
    if got + 1 == expected:
        return (
            " Layers work on batches: add a batch axis, e.g. "
            "`x[None, ...]` or `ops.expand_dims(x, 0)` for a single sample."
        )
    return ""
