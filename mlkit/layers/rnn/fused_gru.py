"""`gru_sequence`: a whole GRU pass as ONE recorded op, with backpropagation through time.

Keras's gate order is (z, r, h): update gate, reset gate, candidate. With
`rec` the recurrent activation (sigmoid), `act` the activation (tanh) and m
the recurrent dropout mask (1 without dropout), one step is

    z = rec(x W_z + (h m) R_z + b_z)        r = rec(x W_r + (h m) R_r + b_r)
    reset_after=True  (Keras 3 default; bias has shape (2, 3 units): input row, recurrent row):
        n = act(x W_h + b_h + r * ((h m) R_h + b'_h))
    reset_after=False (bias (3 units,)):
        n = act(x W_h + b_h + (r * h m) R_h)
    h_new = z * h + (1 - z) * n

so z close to 1 keeps the old state. The backward pass walks the steps in
reverse; the gate derivatives of all steps are computed at once before it.

    >>> import numpy as np
    >>> from mlkit import activations
    >>> from mlkit.layers.rnn.fused_common import fused_activation
    >>> outputs = gru_sequence(np.ones((2, 5, 3)), np.zeros((2, 4)), np.full((3, 12), 0.1),
    ...                        np.full((4, 12), 0.1), np.zeros((2, 12)), reset_after=True,
    ...                        activation=fused_activation(activations.tanh),
    ...                        recurrent_activation=fused_activation(activations.sigmoid))
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
    steps_given,
    wants_grad,
    weight_gradient,
)


def gru_sequence(
    inputs,
    initial_h,
    kernel,
    recurrent_kernel,
    bias=None,
    *,
    reset_after=True,
    activation,
    recurrent_activation,
    recurrent_mask=None,
    go_backwards=False,
):
    """Run a GRU over `inputs` (batch, time, features); one differentiable op.

    Returns the outputs (batch, time, units) in processing order (reversed
    time when `go_backwards`); the last one is also the final state.
    """
    inputs, x, (h0, w, r, b, mask) = sequence_arrays(
        inputs, go_backwards, initial_h, kernel, recurrent_kernel, bias, recurrent_mask
    )
    run = _run_reset_after if reset_after else _run_reset_before
    outputs, backward = run(x, h0, w, r, b, mask, activation, recurrent_activation)

    def backward_with_inputs(grad_outputs):
        grad_projected, grads = backward(grad_outputs)
        grad_x = input_gradient(grad_projected, w, go_backwards) if wants_grad(inputs) else None
        return (grad_x,) + grads

    return record_fused(outputs, (inputs, initial_h, kernel, recurrent_kernel, bias), backward_with_inputs)


def _update_state(h, z, n, out):
    """h_new = z * h + (1 - z) * n, written as n + z * (h - n) into `out`."""
    np.subtract(h, n, out=out)
    out *= z
    out += n
    return out


def _run_reset_after(x, h0, w, r, b, mask, act, rec):
    batch, steps, _ = x.shape
    units = r.shape[0]
    input_bias, recurrent_bias = (None, None) if b is None else (b[0], b[1])
    z_slice, r_slice, n_slice = slice(0, units), slice(units, 2 * units), slice(2 * units, None)
    zr_slice = slice(0, 2 * units)  # z and r side by side: one activation call for both

    projected = project_inputs(x, w, input_bias)
    gates = np.empty((batch, steps, 3 * units), x.dtype)  # z, r, n after their activations
    recurrent_candidate = np.empty((batch, steps, units), x.dtype)  # (h m) R_h + b'_h
    outputs = np.empty((batch, steps, units), x.dtype)
    # Per-step work goes in place into these, allocated once per pass.
    inner = np.empty((batch, 3 * units), x.dtype)
    gate_inputs = np.empty((batch, 2 * units), x.dtype)
    candidate_inputs = np.empty((batch, units), x.dtype)
    h = h0
    for t in range(steps):
        np.matmul(h if mask is None else h * mask, r, out=inner)
        if recurrent_bias is not None:
            inner += recurrent_bias
        np.add(projected[:, t, zr_slice], inner[:, zr_slice], out=gate_inputs)
        rec.forward(gate_inputs, gates[:, t, zr_slice])
        recurrent_candidate[:, t] = inner[:, n_slice]
        np.multiply(gates[:, t, r_slice], inner[:, n_slice], out=candidate_inputs)
        candidate_inputs += projected[:, t, n_slice]
        act.forward(candidate_inputs, gates[:, t, n_slice])
        h = _update_state(h, gates[:, t, z_slice], gates[:, t, n_slice], outputs[:, t])

    def backward(grad_outputs):
        z, reset, n = gates[..., z_slice], gates[..., r_slice], gates[..., n_slice]
        previous_h = previous_states(h0, outputs)
        z_factor = (previous_h - n) * rec.derivative(z)
        n_factor = (1 - z) * act.derivative(n)
        r_factor = recurrent_candidate * rec.derivative(reset)

        grad_inner = np.empty((batch, steps, 3 * units), x.dtype)  # d((h m) R + b')
        grad_candidate = np.empty((batch, steps, units), x.dtype)  # d(pre-activation of n)
        grad_h = np.zeros((batch, units), x.dtype)
        through_kernel = np.empty((batch, units), x.dtype)
        r_transposed = np.ascontiguousarray(r.T)
        given = steps_given(grad_outputs)
        for t in reversed(range(steps)):
            if given[t]:
                grad_h += grad_outputs[:, t]
            np.multiply(grad_h, n_factor[:, t], out=grad_candidate[:, t])
            np.multiply(grad_h, z_factor[:, t], out=grad_inner[:, t, z_slice])
            np.multiply(grad_candidate[:, t], r_factor[:, t], out=grad_inner[:, t, r_slice])
            np.multiply(grad_candidate[:, t], reset[:, t], out=grad_inner[:, t, n_slice])
            np.matmul(grad_inner[:, t], r_transposed, out=through_kernel)
            if mask is not None:
                through_kernel *= mask
            grad_h *= z[:, t]
            grad_h += through_kernel

        grad_projected = np.concatenate([grad_inner[..., zr_slice], grad_candidate], axis=-1)
        if mask is not None:
            previous_h = previous_h * mask[:, None, :]
        grad_bias = None
        if b is not None:
            grad_bias = np.stack([grad_projected.sum(axis=(0, 1)), grad_inner.sum(axis=(0, 1))])
        grads = (grad_h, weight_gradient(x, grad_projected), weight_gradient(previous_h, grad_inner), grad_bias)
        return grad_projected, grads

    return outputs, backward


def _run_reset_before(x, h0, w, r, b, mask, act, rec):
    batch, steps, _ = x.shape
    units = r.shape[0]
    z_slice, r_slice, n_slice = slice(0, units), slice(units, 2 * units), slice(2 * units, None)
    zr_slice = slice(0, 2 * units)  # z and r side by side: one activation call for both
    # Contiguous copies: each is multiplied once per step.
    r_gates, r_candidate = np.ascontiguousarray(r[:, zr_slice]), np.ascontiguousarray(r[:, n_slice])

    projected = project_inputs(x, w, b)
    gates = np.empty((batch, steps, 3 * units), x.dtype)  # z, r, n after their activations
    reset_h = np.empty((batch, steps, units), x.dtype)  # r * (h m)
    outputs = np.empty((batch, steps, units), x.dtype)
    h = h0
    for t in range(steps):
        masked_h = h if mask is None else h * mask
        pre = masked_h @ r_gates
        pre += projected[:, t, zr_slice]
        rec.forward(pre, gates[:, t, zr_slice])
        np.multiply(gates[:, t, r_slice], masked_h, out=reset_h[:, t])
        pre = reset_h[:, t] @ r_candidate
        pre += projected[:, t, n_slice]
        act.forward(pre, gates[:, t, n_slice])
        h = _update_state(h, gates[:, t, z_slice], gates[:, t, n_slice], outputs[:, t])

    def backward(grad_outputs):
        z, reset, n = gates[..., z_slice], gates[..., r_slice], gates[..., n_slice]
        previous_h = previous_states(h0, outputs)
        if mask is not None:
            previous_masked = previous_h * mask[:, None, :]
        else:
            previous_masked = previous_h
        z_factor = (previous_h - n) * rec.derivative(z)
        n_factor = (1 - z) * act.derivative(n)
        r_factor = previous_masked * rec.derivative(reset)

        grad_projected = np.empty((batch, steps, 3 * units), x.dtype)
        grad_h = np.zeros((batch, units), x.dtype)
        r_gates_transposed, r_candidate_transposed = r_gates.T, r_candidate.T
        for t in reversed(range(steps)):
            grad_h = grad_h + grad_outputs[:, t]
            grad_n = np.multiply(grad_h, n_factor[:, t], out=grad_projected[:, t, n_slice])
            grad_reset_h = grad_n @ r_candidate_transposed
            np.multiply(grad_reset_h, r_factor[:, t], out=grad_projected[:, t, r_slice])
            np.multiply(grad_h, z_factor[:, t], out=grad_projected[:, t, z_slice])
            grad_masked_h = grad_reset_h * reset[:, t] + grad_projected[:, t, zr_slice] @ r_gates_transposed
            if mask is not None:
                grad_masked_h *= mask
            grad_h = grad_h * z[:, t] + grad_masked_h

        grad_recurrent = np.concatenate(
            [
                weight_gradient(previous_masked, grad_projected[..., zr_slice]),
                weight_gradient(reset_h, grad_projected[..., n_slice]),
            ],
            axis=1,
        )
        grad_bias = None if b is None else grad_projected.sum(axis=(0, 1))
        grads = (grad_h, weight_gradient(x, grad_projected), grad_recurrent, grad_bias)
        return grad_projected, grads

    return outputs, backward
