"""`simple_rnn_sequence`: a whole SimpleRNN pass as ONE recorded op, with backpropagation through time.

The equation of one step:

    h_t = act(x_t @ kernel + (h_{t-1} * m) @ recurrent_kernel + bias)

with m the recurrent dropout mask (1 without dropout). Backward, walking
t = T-1 ... 0 with dh flowing back from step t+1:

    da_t = (given_t + dh_t) * act'(h_t)        dh_{t-1} = (da_t @ recurrent_kernel^T) * m

    >>> import numpy as np
    >>> from mlkit import activations
    >>> from mlkit.layers.rnn.fused_common import fused_activation
    >>> outputs = simple_rnn_sequence(np.ones((2, 5, 3)), np.zeros((2, 4)), np.full((3, 4), 0.1),
    ...                               np.eye(4), None, activation=fused_activation(activations.tanh))
    >>> outputs.shape     # (batch, time, units): h_t after every step
    (2, 5, 4)
"""

import numpy as np

from mlkit.layers.rnn.fused_common import (
    input_gradient,
    previous_states,
    project_inputs,
    record_fused,
    sequence_arrays,
    wants_grad,
    weight_gradient,
)


def simple_rnn_sequence(
    inputs,
    initial_h,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    activation,
    recurrent_mask=None,
    go_backwards=False,
):
    """Run a SimpleRNN over `inputs` (batch, time, features); one differentiable op.

    Returns the outputs (batch, time, units) in processing order (reversed
    time when `go_backwards`); the last one is also the final state.
    """
    inputs, x, (h0, w, r, b, mask) = sequence_arrays(
        inputs, go_backwards, initial_h, kernel, recurrent_kernel, bias, recurrent_mask
    )
    dtype = x.dtype
    batch, steps, _ = x.shape
    units = r.shape[0]

    projected = project_inputs(x, w, b)
    outputs = np.empty((batch, steps, units), dtype)
    h = h0
    for t in range(steps):
        pre = (h if mask is None else h * mask) @ r
        pre += projected[:, t]
        h = activation.forward(pre, outputs[:, t])

    def backward(grad_outputs):
        derivatives = activation.derivative(outputs)
        grad_pre = np.empty((batch, steps, units), dtype)
        grad_h = np.zeros((batch, units), dtype)
        r_transposed = r.T
        for t in reversed(range(steps)):
            np.multiply(grad_h + grad_outputs[:, t], derivatives[:, t], out=grad_pre[:, t])
            grad_h = grad_pre[:, t] @ r_transposed
            if mask is not None:
                grad_h *= mask

        previous_h = previous_states(h0, outputs)
        if mask is not None:
            previous_h = previous_h * mask[:, None, :]
        return (
            input_gradient(grad_pre, w, go_backwards) if wants_grad(inputs) else None,
            grad_h,
            weight_gradient(x, grad_pre),
            weight_gradient(previous_h, grad_pre),
            None if b is None else grad_pre.sum(axis=(0, 1)),
        )

    return record_fused(outputs, (inputs, initial_h, kernel, recurrent_kernel, bias), backward)
