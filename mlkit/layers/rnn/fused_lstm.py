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

Speed: every buffer holds the TRANSPOSE of the arrays above, step by step:
step t of `gates` is (4 units, batch), gate k in rows k*units .. (k+1)*units.
Each gate is then one contiguous block of memory, so every activation and
product runs over contiguous memory (a gate's columns of a (batch, 4 units)
array are strided, and NumPy is up to twice slower on those). The input
products of all steps are one matrix product before the loop, the per-step
work goes in place into buffers allocated once per pass, and no step
allocates. The loop over time steps stays (a recurrence cannot be vectorized
across time), each iteration a handful of NumPy calls on whole blocks.

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
    # Transposed buffers, (steps, rows, batch): see "Speed" in the module docstring.
    # The weights, transposed to match and scaled, are copies of their own.
    kernel_transposed = np.multiply(w.T, row_scale, order="C")  # (4 units, features)
    recurrent_transposed = np.multiply(r.T, row_scale, order="C")  # (4 units, units)
    bias_column = None if b is None else b[:, None] * row_scale
    x_by_time = x.transpose(1, 2, 0)  # (steps, features, batch), a view
    # The input part of a_t for all steps in one product: (steps, 4 units, batch).
    # Step t reads its block, then overwrites it with its gates i, f, g, o.
    gate_rows = np.matmul(kernel_transposed, x_by_time)
    if b is not None:
        gate_rows += bias_column
    gates = gate_rows.reshape(steps, 4, units, batch)  # the same memory, gate by gate
    # Slot 0 holds the initial h and c, slot t + 1 those after step t: the
    # state each step starts from is then a view, forward and backward.
    states = np.empty((2, steps + 1, units, batch), dtype)
    states[0, 0], states[1, 0] = h0.T, c0.T
    hs, cs = states
    activated_carries = np.empty((steps, units, batch), dtype)
    mask_transposed = None if mask is None else mask.T
    pre = np.empty((4 * units, batch), dtype)
    product = np.empty((units, batch), dtype)
    # exp(-a) may overflow to inf for very negative a; 1 / inf = 0 is then
    # the right sigmoid, so that overflow is expected, not warned about.
    with np.errstate(over="ignore"):
        for t in range(steps):
            recurrent_input = hs[t] if mask is None else hs[t] * mask_transposed
            np.matmul(recurrent_transposed, recurrent_input, out=pre)
            pre += gate_rows[t]
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
        # The weight gradients sum over batch and time: one matrix product
        # each, with (batch, time) laid out as one axis of columns. (Computed
        # as their transposes, and the bias's as a product with ones: the
        # shapes OpenBLAS runs fastest here.)
        grad_pre_columns = columns_over_time(grad_pre_rows)
        previous_h = hs[:-1] if mask is None else hs[:-1] * mask_transposed
        grad_x = None
        if wants_grad(inputs):
            grad_x = np.matmul(w, grad_pre_rows).transpose(2, 0, 1)
            grad_x = grad_x[:, ::-1] if go_backwards else grad_x
        return (
            grad_x,
            grad_h.T,
            grad_c.T,
            (grad_pre_columns @ columns_over_time(x_by_time).T).T,
            (grad_pre_columns @ columns_over_time(previous_h).T).T,
            None if b is None else grad_pre_columns @ np.ones(steps * batch, dtype),
        )

    trajectory = states[:, 1:].transpose(0, 3, 1, 2)  # (2, batch, steps, units), as callers expect
    return record_fused(trajectory, (inputs, initial_h, initial_c, kernel, recurrent_kernel, bias), backward)


def columns_over_time(blocks):
    """(steps, rows, batch) blocks side by side as one (rows, steps * batch) array (a copy)."""
    steps, rows, batch = blocks.shape
    return blocks.transpose(1, 0, 2).reshape(rows, steps * batch)
