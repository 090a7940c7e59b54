"""`lstm_sequence`: a whole LSTM pass as ONE recorded op, with backpropagation through time.

The equations, with Keras's gate order (i, f, c, o) side by side in the weights:

    a_t = x_t @ kernel + (h_{t-1} * m) @ recurrent_kernel + bias     (batch, 4 units)
    i_t = rec(a_i)   f_t = rec(a_f)   g_t = act(a_c)   o_t = rec(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t                                   (the carry)
    h_t = o_t * act(c_t)                                              (the output)

`rec` is the recurrent activation (sigmoid), `act` the activation (tanh) and
m the recurrent dropout mask (1 without dropout). The input products of all
time steps are ONE matrix product before the loop; each step then costs one
(batch, units) @ (units, 4 units) product plus element-wise work.

Backward, walking t = T-1 ... 0 with dh, dc flowing back from step t+1:

    dh_t += given;  dc_t += given + dh_t * o_t * act'(act(c_t))
    da_o = dh_t * act(c_t) * rec'(o_t)    da_i = dc_t * g_t * rec'(i_t)
    da_f = dc_t * c_{t-1} * rec'(f_t)     da_c = dc_t * i_t * act'(g_t)
    dc_{t-1} = dc_t * f_t                 dh_{t-1} = (da_t @ recurrent_kernel^T) * m

The weight gradients are then one matrix product each over all steps.

    >>> import numpy as np
    >>> from mlkit.layers.rnn.fused_common import fused_activation
    >>> from mlkit import activations
    >>> x, h0, c0 = np.ones((2, 5, 3)), np.zeros((2, 4)), np.zeros((2, 4))
    >>> w, r, b = np.full((3, 16), 0.1), np.full((4, 16), 0.1), np.zeros(16)
    >>> trajectory = lstm_sequence(x, h0, c0, w, r, b, activation=fused_activation(activations.tanh),
    ...                            recurrent_activation=fused_activation(activations.sigmoid))
    >>> trajectory.shape      # (h or c, batch, time, units)
    (2, 2, 5, 4)
"""

import numpy as np

from mlkit.layers.rnn.fused_common import (
    in_processing_order,
    input_gradient,
    previous_states,
    project_inputs,
    record_fused,
    value_of,
    wants_grad,
    weight_gradient,
)
from mlkit.ops.core import convert_to_tensor


def lstm_sequence(
    inputs,
    initial_h,
    initial_c,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    activation,
    recurrent_activation,
    recurrent_mask=None,
    go_backwards=False,
):
    """Run an LSTM over `inputs` (batch, time, features); one differentiable op.

    `activation` and `recurrent_activation` are `FusedActivation`s. Returns the
    trajectory (2, batch, time, units): [0] holds h_t and [1] holds c_t after
    each step, in processing order (reversed time when `go_backwards`).
    """
    inputs = convert_to_tensor(inputs)
    dtype = inputs.data.dtype
    x = in_processing_order(inputs.data, go_backwards)
    w, r, b = (value_of(v, dtype) for v in (kernel, recurrent_kernel, bias))
    h0, c0, mask = (value_of(v, dtype) for v in (initial_h, initial_c, recurrent_mask))
    act, rec = activation, recurrent_activation
    batch, steps, _ = x.shape
    units = r.shape[0]
    i_slice, f_slice, c_slice, o_slice = (slice(k * units, (k + 1) * units) for k in range(4))
    if_slice = slice(0, 2 * units)  # i and f side by side: one activation call for both

    projected = project_inputs(x, w, b)
    gates = np.empty((batch, steps, 4 * units), dtype)  # i, f, g, o after their activations
    trajectory = np.empty((2, batch, steps, units), dtype)
    outputs, carries = trajectory
    activated_carries = np.empty((batch, steps, units), dtype)  # act(c_t)
    h, c = h0, c0
    for t in range(steps):
        pre = (h if mask is None else h * mask) @ r
        pre += projected[:, t]
        step = gates[:, t]
        rec.forward(pre[:, if_slice], step[:, if_slice])
        act.forward(pre[:, c_slice], step[:, c_slice])
        rec.forward(pre[:, o_slice], step[:, o_slice])
        np.multiply(step[:, f_slice], c, out=carries[:, t])
        carries[:, t] += step[:, i_slice] * step[:, c_slice]
        c = carries[:, t]
        act.forward(c, activated_carries[:, t])
        np.multiply(step[:, o_slice], activated_carries[:, t], out=outputs[:, t])
        h = outputs[:, t]

    def backward(grad):
        grad_outputs, grad_carries = grad
        i, f, g, o = gates[..., i_slice], gates[..., f_slice], gates[..., c_slice], gates[..., o_slice]
        # For all steps at once: d(pre-activation of gate) = factor * (dc or dh).
        factors = np.empty((batch, steps, 4, units), dtype)
        factors[:, :, 0] = g * rec.derivative(i)
        factors[:, :, 1] = previous_states(c0, carries) * rec.derivative(f)
        factors[:, :, 2] = i * act.derivative(g)
        factors[:, :, 3] = activated_carries * rec.derivative(o)
        carry_from_output = o * act.derivative(activated_carries)

        grad_pre = np.empty((batch, steps, 4, units), dtype)
        grad_h = np.zeros((batch, units), dtype)
        grad_c = np.zeros((batch, units), dtype)
        r_transposed = r.T
        for t in reversed(range(steps)):
            grad_h = grad_h + grad_outputs[:, t]
            grad_c = grad_c + grad_carries[:, t] + grad_h * carry_from_output[:, t]
            np.multiply(factors[:, t, :3], grad_c[:, None, :], out=grad_pre[:, t, :3])
            np.multiply(factors[:, t, 3], grad_h, out=grad_pre[:, t, 3])
            grad_c = grad_c * f[:, t]
            grad_h = grad_pre[:, t].reshape(batch, 4 * units) @ r_transposed
            if mask is not None:
                grad_h *= mask

        grad_pre = grad_pre.reshape(batch, steps, 4 * units)
        previous_h = previous_states(h0, outputs)
        if mask is not None:
            previous_h = previous_h * mask[:, None, :]
        return (
            input_gradient(grad_pre, w, go_backwards) if wants_grad(inputs) else None,
            grad_h,
            grad_c,
            weight_gradient(x, grad_pre),
            weight_gradient(previous_h, grad_pre),
            None if b is None else grad_pre.sum(axis=(0, 1)),
        )

    return record_fused(trajectory, (inputs, initial_h, initial_c, kernel, recurrent_kernel, bias), backward)
