"""`standardize`: normalize a tensor by its own mean and variance — one fused op.

Batch normalization (in training) and layer normalization both compute

    outputs = gamma * (x - mean) / sqrt(variance + epsilon) + beta

where `mean` and `variance` are measured on `x` itself, over some of its
axes: the batch (and spatial) axes for batch normalization, the feature axes
for layer normalization. The variance is the biased one (divided by the
number of values n, not n - 1), as in Keras.

    >>> from mlkit import ops
    >>> x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> outputs, mean, variance = standardize(x, axes=(0,), epsilon=0.0)
    >>> outputs.numpy().tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> mean.tolist(), variance.tolist()
    ([[2.0, 4.0]], [[1.0, 4.0]])

Why fused: written with `ops`, this is about ten recorded operations whose
backward rules each allocate full-size arrays. The gradient has a short
closed form, computed here in one backward function: forward + backward run
1.5 to 2 times faster than the op-by-op version (measured on batches of
shape (32, 64), (256, 128) and (32, 16, 16, 32)), with the same numbers —
tests/layers/test_batch_normalization.py compares the two and checks the
gradients against finite differences.

The closed form. Let `x_hat = (x - mean) * inverse_std` be the normalized
input and `g = upstream * gamma` the gradient reaching `x_hat`. Within each
group of n values that share a mean and variance:

    d x = inverse_std * (g - mean(g) - x_hat * mean(g * x_hat))

Subtracting the mean makes the output ignore a shift of x, so the gradient
loses its mean; dividing by the standard deviation makes the output ignore a
rescaling of x, so the gradient loses its component along x_hat.
"""

import numpy as np

from mlkit.ops.autodiff import needs_grad, record, unbroadcast
from mlkit.ops.tensor import Tensor


def standardize(inputs, axes, gamma=None, beta=None, epsilon=1e-3):
    """Normalize `inputs` over `axes` with their own statistics, then scale and shift.

    `gamma` and `beta` are tensors (or None) that broadcast against `inputs`.
    Returns `(outputs, mean, variance)`: the output tensor, differentiable with
    respect to `inputs`, `gamma` and `beta`, and the statistics as NumPy arrays
    with the reduced axes kept (size 1), e.g. for a layer's moving averages.
    """
    x = inputs.data
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    variance = np.square(centered).mean(axis=axes, keepdims=True)
    inverse_std = 1.0 / np.sqrt(variance + epsilon)
    normalized = centered * inverse_std
    outputs = normalized
    if gamma is not None:
        outputs = outputs * gamma.data
    if beta is not None:
        outputs = outputs + beta.data

    wants_inputs, wants_gamma, wants_beta = needs_grad(inputs), needs_grad(gamma), needs_grad(beta)
    if not (wants_inputs or wants_gamma or wants_beta):
        return Tensor(outputs), mean, variance

    def backward(upstream):
        grad_inputs = grad_gamma = grad_beta = None
        if wants_inputs:
            grad_normalized = upstream if gamma is None else upstream * gamma.data
            grad_inputs = inverse_std * (
                grad_normalized
                - grad_normalized.mean(axis=axes, keepdims=True)
                - normalized * (grad_normalized * normalized).mean(axis=axes, keepdims=True)
            )
        if wants_gamma:
            grad_gamma = unbroadcast(upstream * normalized, gamma.shape)
        if wants_beta:
            grad_beta = unbroadcast(upstream, beta.shape)
        return grad_inputs, grad_gamma, grad_beta

    return record(outputs, (inputs, gamma, beta), backward), mean, variance
