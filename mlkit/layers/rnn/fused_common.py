"""What the fused sequence ops share: NumPy activations, the input projection, recording.

A fused op runs a whole sequence in NumPy and is recorded as ONE node of the
autodiff graph, whose backward function is backpropagation through time
written by hand. That is ~10x fewer graph nodes than recording every gate of
every step, and lets the backward pass compute the gate derivatives of all
time steps at once instead of step by step.

It needs each activation twice: forward into a buffer, and its derivative
written in terms of the activation's OUTPUT y (sigmoid' = y (1 - y),
tanh' = 1 - y^2), which is what the forward pass keeps. Only the activations
in `FUSED_ACTIVATIONS` have that form here; any other activation makes the
layer fall back to the step-by-step cell loop, which autodiff differentiates.

    >>> import numpy as np
    >>> from mlkit import activations
    >>> sigmoid = fused_activation(activations.sigmoid)
    >>> y = sigmoid.forward(np.array([0.0, 2.0]), np.empty(2))
    >>> np.round(y, 4).tolist(), np.round(sigmoid.derivative(y), 4).tolist()
    ([0.5, 0.8808], [0.25, 0.105])
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlkit import activations
from mlkit.ops import nn as nn_ops
from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.core import convert_to_tensor
from mlkit.ops.tensor import Tensor


@dataclass(frozen=True)
class FusedActivation:
    name: str
    forward: Callable  # forward(a, out) writes f(a) into `out` and returns it
    derivative: Callable  # derivative(y) -> f'(a), from the output y = f(a)


def _sigmoid(a, out):
    # sigmoid(a) = 1 / (1 + exp(-a)), in place; exp is faster than tanh in
    # NumPy. For very negative a, exp(-a) overflows to inf and the result is
    # 1 / inf = 0, the right limit: that overflow is expected, not warned about.
    with np.errstate(over="ignore"):
        np.negative(a, out=out)
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _hard_sigmoid(a, out):
    np.divide(a, 6, out=out)
    out += 0.5
    return np.clip(out, 0, 1, out=out)


def _linear(a, out):
    np.copyto(out, a)
    return out


_SIGMOID = FusedActivation("sigmoid", _sigmoid, lambda y: y * (1 - y))
_TANH = FusedActivation("tanh", lambda a, out: np.tanh(a, out=out), lambda y: 1 - y * y)
_RELU = FusedActivation("relu", lambda a, out: np.maximum(a, 0, out=out), lambda y: (y > 0).astype(y.dtype))
_LINEAR = FusedActivation("linear", _linear, np.ones_like)
_HARD_SIGMOID = FusedActivation(
    "hard_sigmoid", _hard_sigmoid, lambda y: (((y > 0) & (y < 1)) / 6).astype(y.dtype)
)

FUSED_ACTIVATIONS = {
    activations.sigmoid: _SIGMOID,
    nn_ops.sigmoid: _SIGMOID,
    activations.tanh: _TANH,
    nn_ops.tanh: _TANH,
    activations.relu: _RELU,
    nn_ops.relu: _RELU,
    activations.linear: _LINEAR,
    activations.hard_sigmoid: _HARD_SIGMOID,
    nn_ops.hard_sigmoid: _HARD_SIGMOID,
}


def fused_activation(function):
    """The NumPy twin of an activation function, or None if there is none."""
    try:
        return FUSED_ACTIVATIONS.get(function)
    except TypeError:  # an unhashable callable object
        return None


def value_of(x, dtype):
    """The array behind a tensor (or None), in the compute dtype."""
    if x is None:
        return None
    array = x.data if isinstance(x, Tensor) else np.asarray(x)
    return array if array.dtype == dtype else array.astype(dtype)


def sequence_arrays(inputs, go_backwards, *tensors):
    """What a fused op starts from: the inputs as a tensor (a parent of the recorded op),
    their array in processing order, and the arrays behind `tensors` in the inputs' dtype."""
    inputs = convert_to_tensor(inputs)
    dtype = inputs.data.dtype
    return inputs, in_processing_order(inputs.data, go_backwards), [value_of(t, dtype) for t in tensors]


def in_processing_order(inputs, go_backwards):
    """The inputs (batch, time, features) in processing order: reversed for go_backwards."""
    return inputs[:, ::-1] if go_backwards else inputs


def project_inputs(inputs, kernel, bias):
    """inputs @ kernel + bias for ALL time steps in one matrix product: (batch, time, gates*units)."""
    batch, steps, features = inputs.shape
    projected = np.reshape(inputs, (batch * steps, features)) @ kernel
    if bias is not None:
        projected += bias
    return projected.reshape(batch, steps, -1)


def previous_states(initial, outputs):
    """The state each step started from: (initial, output_0, ..., output_{T-2}), (batch, time, units)."""
    return np.concatenate([initial[:, None, :], outputs[:, :-1]], axis=1)


def steps_given(gradient):
    """Which time steps of a (batch, time, units) gradient are not all zeros, as a list of bools.

    A loss on the last output only (return_sequences=False) sends zeros for
    every other step; the backward loops skip adding those.
    """
    # Over the batch first, then over units: NumPy reduces a leading axis of
    # a contiguous array several times faster than axes (0, 2) at once.
    return gradient.any(axis=0).any(axis=1).tolist()


def weight_gradient(values, gradient):
    """sum over batch and time of values^T @ gradient, as one matrix product."""
    return np.reshape(values, (-1, values.shape[-1])).T @ np.reshape(gradient, (-1, gradient.shape[-1]))


def input_gradient(projected_gradient, kernel, go_backwards):
    """Gradient of the inputs from the gradient of `project_inputs`' result, in time order."""
    grad = projected_gradient @ kernel.T
    return grad[:, ::-1] if go_backwards else grad


def record_fused(value, parents, backward):
    """Record `value` as one op on `parents` (None entries are skipped).

    `backward(grad)` returns one gradient (or None) per entry of `parents`.
    Nothing is recorded when no parent needs a gradient.
    """
    present = [index for index, parent in enumerate(parents) if parent is not None]
    if not any(needs_grad(parents[index]) for index in present):
        return Tensor(value)

    def backward_present(grad):
        grads = backward(grad)
        return tuple(grads[index] for index in present)

    return record(value, tuple(parents[index] for index in present), backward_present)


def wants_grad(x):
    """Whether the backward pass should compute a gradient for `x` at all."""
    return isinstance(x, Tensor) and x.requires_grad
