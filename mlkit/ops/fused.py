"""Fused ops: several steps computed, and differentiated, as one graph node.

`dense(x, kernel, bias, activation)` is exactly

    activation(matmul(x, kernel) + bias)

but recorded as one node with a hand-written backward rule instead of three
nodes (matmul, add, activation). `bias_activation(x, bias, activation)` is
the tail of the same pattern, activation(x + bias) as one node, for the
layers whose product is not a matmul (the convolutions). The math is the same; what is saved is the
Python bookkeeping of two nodes in the forward and backward passes, which on
a small batch costs as much as the arithmetic itself. `layers.Dense` uses
it; the three-op version is what you would write yourself, and the tests
check both give the same values and gradients. (An mlkit internal, not a
Keras op.)

The activation's derivative is written in terms of its output y, which the
forward pass already has: relu' = [y > 0], sigmoid' = y(1 - y), tanh' = 1 - y².

    >>> import numpy as np
    >>> from mlkit.ops.fused import dense
    >>> y = dense(np.ones((2, 3), "float32"), np.ones((3, 4), "float32"), np.zeros(4, "float32"), "relu")
    >>> y.numpy().tolist()[0]
    [3.0, 3.0, 3.0, 3.0]
"""

import numpy as np

from mlkit.ops.autodiff import is_recording, needs_grad, record
from mlkit.ops.core import data_of
from mlkit.ops.nn import _stable_sigmoid
from mlkit.ops.tensor import Tensor


def activate_in_place(z, activation):
    """Apply the activation to the pre-activation `z` (a fresh array, changed in place)."""
    if activation == "relu":
        return np.maximum(z, 0, out=z)
    if activation == "tanh":
        return np.tanh(z, out=z)
    if activation == "sigmoid":
        return _stable_sigmoid(z)
    if activation == "softmax":
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return z
    return z  # linear


def gradient_through_activation(g, y, activation):
    """The gradient w.r.t. the pre-activation, from the gradient w.r.t. the output y."""
    if activation == "relu":
        return g * (y > 0)
    if activation == "tanh":
        return g * (1 - y * y)
    if activation == "sigmoid":
        return g * y * (1 - y)
    if activation == "softmax":
        return y * (g - (g * y).sum(axis=-1, keepdims=True))
    return g


FUSED_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "softmax")


def dense(inputs, kernel, bias, activation="linear"):
    """activation(inputs @ kernel + bias) as one node; `bias` may be None."""
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"fused.dense: activation must be one of {FUSED_ACTIVATIONS}, got {activation!r}.")
    # data_of() and needs_grad() spelled out: this runs for every layer of every step.
    x = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
    w = kernel.data if isinstance(kernel, Tensor) else np.asarray(kernel)
    z = x @ w
    if bias is not None:
        z += bias.data if isinstance(bias, Tensor) else data_of(bias)
    y = activate_in_place(z, activation)
    if not is_recording():  # inference: no graph to record
        return Tensor(y)
    want_x = isinstance(inputs, Tensor) and inputs.requires_grad
    want_w = isinstance(kernel, Tensor) and kernel.requires_grad
    want_b = isinstance(bias, Tensor) and bias.requires_grad
    if not (want_x or want_w or want_b):
        return Tensor(y)

    def backward(g):
        if activation != "linear":
            g = gradient_through_activation(g, y, activation)
        # Inputs may have several batch axes (batch, time, features): fold them
        # (the usual (batch, features) needs no folding).
        folded = x.ndim != 2
        g2 = g.reshape(-1, g.shape[-1]) if folded else g
        x2 = x.reshape(-1, x.shape[-1]) if folded else x
        grad_x = None
        if want_x:
            grad_x = g2 @ w.T
            if folded:
                grad_x = grad_x.reshape(x.shape)
        grad_w = x2.T @ g2 if want_w else None
        grad_b = np.add.reduce(g2, axis=0) if want_b else None  # g2.sum(axis=0), without its Python wrapper
        return grad_x, grad_w, grad_b

    return record(y, (inputs, kernel, bias), backward)


def bias_activation(inputs, bias, activation="linear"):
    """activation(inputs + bias) as one node; `bias` (or None) runs along the last axis."""
    if activation not in FUSED_ACTIVATIONS:
        raise ValueError(
            f"fused.bias_activation: activation must be one of {FUSED_ACTIVATIONS}, got {activation!r}."
        )
    x = np.asarray(data_of(inputs))
    z = x + data_of(bias) if bias is not None else np.array(x)
    y = activate_in_place(z, activation)
    want_x = needs_grad(inputs)
    want_b = bias is not None and needs_grad(bias)
    if not (want_x or want_b):
        return Tensor(y)

    def backward(g):
        g = gradient_through_activation(g, y, activation)
        grad_b = g.reshape(-1, g.shape[-1]).sum(axis=0) if want_b else None
        return (g if want_x else None), grad_b

    return record(y, (inputs, bias), backward)
