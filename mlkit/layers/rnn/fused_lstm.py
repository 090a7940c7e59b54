"""`lstm_sequence`: a whole LSTM pass as ONE recorded op, with backpropagation through time.

The equations, with Keras's gate order (i, f, c, o) side by side in the weights:

    a_t = x_t @ kernel + (h_{t-1} * m) @ recurrent_kernel + bias     (batch, 4 units)
    i_t = rec(a_i)   f_t = rec(a_f)   g_t = act(a_c)   o_t = rec(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t                                   (the carry)
    h_t = o_t * act(c_t)                                              (the output)

`rec` is the recurrent activation (sigmoid), `act` the activation (tanh) and
m the recurrent dropout mask (1 without dropout). Each step stacks what the
gates read into one column per sample, z_t = [x_t; 1; h_{t-1} * m], so that
a_t is ONE matrix product with the weights side by side, [kernel^T | bias |
recurrent_kernel^T] (the bias is the weight of the constant 1).

Backward, walking t = T-1 ... 0 with dh, dc flowing back from step t+1:

    dh_t += given;  dc_t += given + dh_t * o_t * act'(act(c_t))
    da_o = dh_t * act(c_t) * rec'(o_t)    da_i = dc_t * g_t * rec'(i_t)
    da_f = dc_t * c_{t-1} * rec'(f_t)     da_c = dc_t * i_t * act'(g_t)
    dc_{t-1} = dc_t * f_t                 dh_{t-1} = (da_t @ recurrent_kernel^T) * m

The weight gradients of all steps are then ONE matrix product: the sum over
steps and samples of da_t z_t^T holds [kernel^T | bias | recurrent_kernel^T]'s.

Speed: every buffer holds the TRANSPOSE of the arrays above, step by step:
step t of `gates` is (4 units, batch), gate k in rows k*units .. (k+1)*units.
Each gate is then one contiguous block of memory, so every activation and
product runs over contiguous memory (a gate's columns of a (batch, 4 units)
array are strided, and NumPy is up to twice slower on those). One buffer,
`stacked`, holds every z_t and every state: each step reads its z_t from it
and writes its h_t and c_t straight into the next slot. The per-step work
goes in place into buffers allocated once per pass, and no step allocates.
The loop over time steps stays (a recurrence cannot be vectorized across
time), each iteration a handful of NumPy calls on whole blocks.

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

from mlkit.layers.rnn.fused_common import record_fused, sequence_arrays, steps_given, wants_grad


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

    # With Keras's default activations (sigmoid and tanh), every gate comes
    # out of ONE exp over all four gates, as NumPy's tanh is much slower than exp:
    #     sigmoid(a) = 1 / (1 + exp(-a))      for i, f and o,
    #     tanh(a) = 2 sigmoid(2a) - 1         for the candidate g.
    # The weights' rows are scaled for that, by -1 (the candidate's by -2;
    # exact in binary floating point), so that `pre` below holds -a (-2a).
    default_activations = act.name == "tanh" and rec.name == "sigmoid"
    candidate_rows = slice(2 * units, 3 * units)
    row_scale = np.ones((4 * units, 1), dtype)
    if default_activations:
        row_scale[:] = -1
        row_scale[candidate_rows] = -2
    bias_column = np.zeros((4 * units, 1), dtype) if b is None else b[:, None]
    weights = np.concatenate([w.T, bias_column, r.T], axis=1) * row_scale  # (4 units, features + 1 + units)

    # `stacked` slot t holds, in rows: x_t, the constant 1, h_{t-1} and c_{t-1}
    # (transposed: one column per sample). Step t reads z_t = its first rows
    # and writes h_t and c_t into slot t + 1; the last slot holds only the
    # final states. The states are views of it: hs[t] = h_{t-1}, cs[t] = c_{t-1}.
    x_rows, one_row = slice(0, features), features
    h_rows, c_rows = slice(features + 1, features + 1 + units), slice(features + 1 + units, None)
    input_rows = slice(0, features + 1 + units)  # z_t: x_t, 1, h_{t-1}
    stacked = np.empty((steps + 1, features + 1 + 2 * units, batch), dtype)
    stacked[:steps, x_rows] = x.transpose(1, 2, 0)
    stacked[:, one_row] = 1
    stacked[0, h_rows], stacked[0, c_rows] = h0.T, c0.T
    hs, cs = stacked[:, h_rows], stacked[:, c_rows]
    gates = np.empty((steps, 4, units, batch), dtype)  # i, f, g, o of every step
    gate_rows = gates.reshape(steps, 4 * units, batch)  # the same memory, the four gates as one block
    activated_carries = np.empty((steps, units, batch), dtype)
    mask_transposed = None if mask is None else mask.T
    masked_input = None if mask is None else np.empty((features + 1 + units, batch), dtype)
    pre = np.empty((4 * units, batch), dtype)
    product = np.empty((units, batch), dtype)
    # exp(-a) may overflow to inf for very negative a; 1 / inf = 0 is then
    # the right sigmoid, so that overflow is expected, not warned about.
    with np.errstate(over="ignore"):
        for t in range(steps):
            step_input = stacked[t, input_rows]
            if mask is not None:  # z_t with h_{t-1} * m, in a buffer of its own (hs keeps h)
                masked_input[: features + 1] = stacked[t, : features + 1]
                np.multiply(hs[t], mask_transposed, out=masked_input[features + 1 :])
                step_input = masked_input
            np.matmul(weights, step_input, out=pre)
            i, f, g, o = gates[t]
            step_gates = gate_rows[t]
            if default_activations:  # pre = -a (-2a for g): see above
                np.exp(pre, out=step_gates)
                step_gates += 1
                np.divide(1, step_gates, out=step_gates)  # a little faster than np.reciprocal
                g *= 2
                g -= 1
            else:
                # The recurrent activation over all four gates in one call (cheaper
                # than three calls), then the candidate's activation over its rows.
                rec.forward(pre, step_gates)
                act.forward(pre[candidate_rows], g)
            c_next = cs[t + 1]
            np.multiply(f, cs[t], out=c_next)
            np.multiply(i, g, out=product)
            c_next += product
            act.forward(c_next, activated_carries[t])
            np.multiply(o, activated_carries[t], out=hs[t + 1])

    def backward(grad):
        grad_outputs, grad_carries = grad  # each (batch, steps, units)
        i, f, g, o = (gates[:, k] for k in range(4))  # each (steps, units, batch)
        # The factors that turn dc (gates i, f, c) and dh (gate o) into the
        # gradient of each gate's pre-activation, for all steps at once:
        # rec' of all four gates in one pass (the candidate's slot is then
        # overwritten), each multiplied in place by what its gate meets.
        factors = rec.derivative(gates)
        factors[:, 0] *= g
        factors[:, 1] *= cs[:-1]
        np.multiply(i, act.derivative(g), out=factors[:, 2])
        factors[:, 3] *= activated_carries
        carry_from_output = act.derivative(activated_carries)
        carry_from_output *= o
        outputs_given, carries_given = steps_given(grad_outputs), steps_given(grad_carries)
        # In place: once step t has used its factors, factors[t] holds the
        # gradient of a_t (the four gates' pre-activations).
        grad_pre, grad_pre_rows = factors, factors.reshape(steps, 4 * units, batch)
        grad_h = np.zeros((units, batch), dtype)
        grad_c = np.zeros((units, batch), dtype)
        scratch = np.empty((units, batch), dtype)
        for t in reversed(range(steps)):
            if outputs_given[t]:
                grad_h += grad_outputs[:, t].T
            np.multiply(grad_h, carry_from_output[t], out=scratch)
            grad_c += scratch
            if carries_given[t]:
                grad_c += grad_carries[:, t].T
            grad_pre[t, :3] *= grad_c  # dc, broadcast over gates i, f, c
            grad_pre[t, 3] *= grad_h
            grad_c *= f[t]
            np.matmul(r, grad_pre_rows[t], out=grad_h)
            if mask is not None:
                grad_h *= mask_transposed
        # All weight gradients in one product, summed over steps and samples:
        # (batch, time) laid out as one axis of columns, da_t against z_t.
        # The result is (4 units, rows of z): the orientation OpenBLAS runs
        # fastest here; each weight's gradient is a transposed view of it.
        input_columns = columns_over_time(stacked[:steps, input_rows])
        if mask is not None:  # z_t held h_{t-1} * m
            masked_h = input_columns[h_rows].reshape(units, steps, batch)  # a view
            masked_h *= mask_transposed[:, None, :]
        grad_weights = columns_over_time(grad_pre_rows) @ input_columns.T  # (4 units, features + 1 + units)
        grad_x = None
        if wants_grad(inputs):
            grad_x = np.matmul(w, grad_pre_rows).transpose(2, 0, 1)
            grad_x = grad_x[:, ::-1] if go_backwards else grad_x
        return (
            grad_x,
            grad_h.T,
            grad_c.T,
            grad_weights[:, x_rows].T,
            grad_weights[:, h_rows].T,
            None if b is None else grad_weights[:, one_row],
        )

    states = stacked[1:, features + 1 :].reshape(steps, 2, units, batch)  # h_t and c_t: a view
    trajectory = states.transpose(1, 3, 0, 2)  # (2, batch, steps, units), as callers expect
    return record_fused(trajectory, (inputs, initial_h, initial_c, kernel, recurrent_kernel, bias), backward)


def columns_over_time(blocks):
    """(steps, rows, batch) blocks side by side as one NEW (rows, steps * batch) array."""
    steps, rows, batch = blocks.shape
    return np.ascontiguousarray(blocks.transpose(1, 0, 2)).reshape(rows, steps * batch)
