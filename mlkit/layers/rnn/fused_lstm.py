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

Speed: every buffer is laid out time-major (steps, batch, ...), so each step
reads and writes contiguous blocks, and the per-step work goes in place into
buffers allocated once per pass (the pre-activations, the carry product, the
running gradients); no step allocates. The loop over time steps stays (a
recurrence cannot be vectorized across time), each iteration a handful of
NumPy calls on whole (batch, units) blocks.

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

from mlkit.layers.rnn.fused_common import record_fused, sequence_arrays, steps_given, wants_grad, weight_gradient


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
    inputs, x, (h0, c0, w, r, b, mask) = sequence_arrays(
        inputs, go_backwards, initial_h, initial_c, kernel, recurrent_kernel, bias, recurrent_mask
    )
    dtype = x.dtype
    act, rec = activation, recurrent_activation
    batch, steps, features = x.shape
    units = r.shape[0]
    i_slice, f_slice, c_slice, o_slice = (slice(k * units, (k + 1) * units) for k in range(4))

    # Time-major (steps, batch, ...) buffers: every step reads and writes contiguous blocks.
    x_by_time = np.swapaxes(x, 0, 1).reshape(steps * batch, features)
    projected = x_by_time @ w
    if b is not None:
        projected += b
    projected = projected.reshape(steps, batch, 4 * units)
    gates = np.empty((steps, batch, 4 * units), dtype)
    states = np.empty((2, steps, batch, units), dtype)
    outputs, carries = states
    activated_carries = np.empty((steps, batch, units), dtype)
    pre = np.empty((batch, 4 * units), dtype)
    product = np.empty((batch, units), dtype)
    h, c = h0, c0
    for t in range(steps):
        np.matmul(h if mask is None else h * mask, r, out=pre)
        pre += projected[t]
        step = gates[t]
        # The recurrent activation over the whole contiguous block (cheaper than
        # over three strided slices), then the candidate's activation over it.
        rec.forward(pre, step)
        act.forward(pre[:, c_slice], step[:, c_slice])
        c_next = carries[t]
        np.multiply(step[:, f_slice], c, out=c_next)
        np.multiply(step[:, i_slice], step[:, c_slice], out=product)
        c_next += product
        act.forward(c_next, activated_carries[t])
        np.multiply(step[:, o_slice], activated_carries[t], out=outputs[t])
        h, c = outputs[t], c_next

    def backward(grad):
        grad_outputs, grad_carries = grad
        i, f, g, o = gates[..., i_slice], gates[..., f_slice], gates[..., c_slice], gates[..., o_slice]
        # The factors that turn dc (gates i, f, c) and dh (gate o) into the
        # gradient of each gate's pre-activation, for all steps at once:
        # rec' of all four gates in one pass (the candidate's slot is then
        # overwritten), each multiplied in place by what its gate meets.
        factors = rec.derivative(gates).reshape(steps, batch, 4, units)
        factors[:, :, 0] *= g
        factors[1:, :, 1] *= carries[:-1]
        factors[0, :, 1] *= c0
        np.multiply(i, act.derivative(g), out=factors[:, :, 2])
        factors[:, :, 3] *= activated_carries
        carry_from_output = act.derivative(activated_carries)
        carry_from_output *= o
        outputs_given, carries_given = steps_given(grad_outputs), steps_given(grad_carries)
        grad_pre = np.empty((steps, batch, 4, units), dtype)
        grad_h = np.zeros((batch, units), dtype)
        grad_c = np.zeros((batch, units), dtype)
        scratch = np.empty((batch, units), dtype)
        r_transposed = np.ascontiguousarray(r.T)
        for t in reversed(range(steps)):
            if outputs_given[t]:
                grad_h += grad_outputs[:, t]
            np.multiply(grad_h, carry_from_output[t], out=scratch)
            grad_c += scratch
            if carries_given[t]:
                grad_c += grad_carries[:, t]
            np.multiply(factors[t, :, :3], grad_c[:, None, :], out=grad_pre[t, :, :3])
            np.multiply(factors[t, :, 3], grad_h, out=grad_pre[t, :, 3])
            grad_c *= f[t]
            np.matmul(grad_pre[t].reshape(batch, 4 * units), r_transposed, out=grad_h)
            if mask is not None:
                grad_h *= mask
        grad_pre = grad_pre.reshape(steps, batch, 4 * units)
        previous_h = np.concatenate([h0[None], outputs[:-1]])
        if mask is not None:
            previous_h = previous_h * mask
        grad_x = None
        if wants_grad(inputs):
            grad_x = np.swapaxes(grad_pre @ w.T, 0, 1)
            grad_x = grad_x[:, ::-1] if go_backwards else grad_x
        return (
            grad_x,
            grad_h,
            grad_c,
            weight_gradient(x_by_time, grad_pre),
            weight_gradient(previous_h, grad_pre),
            None if b is None else grad_pre.sum(axis=(0, 1)),
        )

    trajectory = np.swapaxes(states, 1, 2)  # (2, batch, steps, units), as callers expect
    return record_fused(trajectory, (inputs, initial_h, initial_c, kernel, recurrent_kernel, bias), backward)
