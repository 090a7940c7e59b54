"""What `Layer.__call__` does to its inputs before `build` and `call` see them.

- Inputs become tensors: NumPy arrays, lists of numbers, ... are converted,
  and lists, tuples and dicts of inputs keep their structure.
- Float inputs are cast to the layer's compute dtype (autocast), so a
  float64 array fed to a float32 layer computes in float32.
- Wrong inputs are refused with an error that names the layer: a string or
  a bare number as input, text arrays, complex numbers.
- `self.input_spec` (see input_spec.py) says what shapes the layer accepts;
  `__call__` checks inputs against it.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> layers.Identity()(np.ones((2, 3), dtype="float64")).dtype
    'float32'

`Layer` gets these from `InputConversion`; the helpers below walk nested
structures of inputs for the other layer modules.
"""

from mlkit.layers.input_checks import complex_input_error
from mlkit.ops.core import convert_to_tensor
from mlkit.ops.math import cast
from mlkit.ops.tensor import Tensor


class InputConversion:
    """`input_spec` and the conversion of inputs to tensors (a mixin of `Layer`)."""

    @property
    def input_spec(self):
        """An `InputSpec` (or a list, one per input) that inputs are checked against."""
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        self._input_spec = value
        self._checked_shapes = []  # check the next call against the new spec
        specs = value if isinstance(value, (list, tuple)) else [value]
        self._input_spec_checks_dtype = any(getattr(spec, "dtype", None) is not None for spec in specs)

    def _convert_inputs(self, inputs):
        """Inputs as tensors (lists, tuples and dicts of them keep their structure);
        float inputs are cast to the compute dtype (autocast)."""
        if isinstance(inputs, Tensor):
            if inputs.data.dtype is self._compute_np_dtype:
                return inputs  # the usual case inside a model, decided by identity
            return self._convert_input(inputs)
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(self._convert_inputs(x) for x in inputs)
        if isinstance(inputs, dict):
            return {key: self._convert_inputs(x) for key, x in inputs.items()}
        if isinstance(inputs, (str, bytes)) or (isinstance(inputs, (int, float)) and not isinstance(inputs, bool)):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects tensor inputs, got the "
                f"{type(inputs).__name__} {inputs!r}. Only input tensors may be passed as "
                "positional arguments: wrap numbers in an array, e.g. `np.array([[1.0, 2.0]])`, "
                "and pass other settings as keyword arguments."
            )
        return self._convert_input(inputs)

    def _convert_input(self, x):
        if isinstance(x, Tensor):
            dtype = x.data.dtype
            if dtype is self._compute_np_dtype:  # the usual case, decided by identity
                return x
            if self.autocast and dtype.kind == "f" and dtype != self._compute_np_dtype:
                return cast(x, self._dtype_policy.compute_dtype)
            if dtype.kind == "c":
                raise complex_input_error(self, dtype)
            return x
        if x is None or isinstance(x, bool):
            return x
        try:
            tensor = convert_to_tensor(x)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Layer {self.name!r} ({type(self).__name__}) expects numeric inputs: {error}") from None
        kind = tensor.data.dtype.kind
        if kind == "c":
            raise complex_input_error(self, tensor.data.dtype)
        if kind not in "biuf":
            raise TypeError(
                f"Layer {self.name!r} ({type(self).__name__}) expects numeric inputs (floats or "
                f"integers), got an array of dtype {tensor.data.dtype}. Convert the data to "
                "numbers first, e.g. `np.asarray(x, dtype='float32')`."
            )
        if self.autocast and kind == "f" and tensor.data.dtype != self._compute_np_dtype:
            tensor = Tensor(tensor.data.astype(self._compute_np_dtype))
        return tensor


def is_symbolic(inputs):
    """Are any of the inputs symbolic (from `mlkit.Input`), i.e. is a functional model being defined?"""
    if isinstance(inputs, Tensor):
        return False
    if isinstance(inputs, (list, tuple)):
        return any(is_symbolic(x) for x in inputs)
    if isinstance(inputs, dict):
        return any(is_symbolic(x) for x in inputs.values())
    return getattr(inputs, "_is_symbolic_tensor", False)


def shapes_of(inputs):
    """The shape of each input, in the structure of the inputs."""
    if isinstance(inputs, Tensor):
        return inputs.data.shape
    if isinstance(inputs, (list, tuple)):
        return [shapes_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {key: shapes_of(x) for key, x in inputs.items()}
    return getattr(inputs, "shape", None)
