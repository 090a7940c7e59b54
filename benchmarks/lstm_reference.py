"""How much does mlkit's LSTM layer cost on top of the same LSTM written in NumPy?

One forward + backward pass of LSTM(32) over sequences of 20 steps x 8
features at batch 64 (float32), with the loss 0.5 * mean_batch ||h_T - target||^2,
timed side by side in one run:

- numpy : `numpy_lstm_loss_and_grads`, written by hand below — the floor. It
          uses the same algorithm as mlkit's fused op (fused_lstm.py): arrays
          transposed (one column per sample), each step one matrix product
          with z_t = [x_t; 1; h_{t-1}], every gate from one exp, and
          backpropagation through time with the gate derivatives of all steps
          computed at once and all weight gradients in one product — so the
          ratio measures what the framework adds: the layer call, recording
          the graph, the loss ops and the gradient walk;
- mlkit : `layers.LSTM(32)` called under a `GradientTape`, then
          `tape.gradient` for its three weights.

Prints the time per pass and the ratio mlkit / numpy.
Run it with `python benchmarks/lstm_reference.py`.
"""

import sys
import timeit

import numpy as np

import mlkit
from mlkit import layers, ops

BATCH, STEPS, FEATURES, UNITS = 64, 20, 8, 32


def make_weights(rng):
    """kernel (features, 4u), recurrent_kernel (u, 4u), bias (4u,) in Keras's gate order i, f, c, o."""
    limit = np.sqrt(6 / (FEATURES + 4 * UNITS))
    kernel = rng.uniform(-limit, limit, (FEATURES, 4 * UNITS))
    recurrent_kernel = np.linalg.qr(rng.normal(size=(4 * UNITS, UNITS)))[0].T
    bias = np.zeros(4 * UNITS)
    bias[UNITS : 2 * UNITS] = 1.0  # the forget gate starts open
    return [w.astype(np.float32) for w in (kernel, recurrent_kernel, bias)]


def numpy_lstm_loss_and_grads(weights, x, target):
    """Loss and [d_kernel, d_recurrent_kernel, d_bias], by hand."""
    kernel, recurrent_kernel, bias = weights
    batch, steps, features = x.shape
    u = recurrent_kernel.shape[0]
    dtype = x.dtype

    # Forward. The weights side by side, rows scaled by -1 (the candidate's
    # by -2) so that one exp gives every gate: sigmoid(a) = 1 / (1 + exp(-a))
    # and tanh(a) = 2 sigmoid(2a) - 1.
    scale = np.full((4 * u, 1), -1, dtype)
    scale[2 * u : 3 * u] = -2
    stacked_weights = np.concatenate([kernel.T, bias[:, None], recurrent_kernel.T], axis=1) * scale
    z = np.empty((steps + 1, features + 1 + u, batch), dtype)  # z[t] = [x_t; 1; h_{t-1}], transposed
    z[:steps, :features] = x.transpose(1, 2, 0)
    z[:, features] = 1
    z[0, features + 1 :] = 0
    hs = z[:, features + 1 :]  # hs[t] = h_{t-1}
    cs = np.zeros((steps + 1, u, batch), dtype)  # cs[t] = c_{t-1}
    gates = np.empty((steps, 4, u, batch), dtype)
    tanh_cs = np.empty((steps, u, batch), dtype)
    with np.errstate(over="ignore"):
        for t in range(steps):
            block = gates[t].reshape(4 * u, batch)
            np.exp(stacked_weights @ z[t], out=block)
            block += 1
            np.divide(1, block, out=block)
            i, f, g, o = gates[t]
            g *= 2
            g -= 1
            np.add(f * cs[t], i * g, out=cs[t + 1])
            np.tanh(cs[t + 1], out=tanh_cs[t])
            np.multiply(o, tanh_cs[t], out=hs[t + 1])
    difference = hs[-1].T - target
    loss = 0.5 * np.mean(np.sum(difference * difference, axis=1))

    # Backward through time; d_pre[t] holds the gradient of the gates' pre-activations.
    i, f, g, o = (gates[:, k] for k in range(4))
    d_pre = np.stack([g * i * (1 - i), cs[:-1] * f * (1 - f), i * (1 - g * g), tanh_cs * o * (1 - o)], axis=1)
    carry_from_h = o * (1 - tanh_cs * tanh_cs)
    d_h = (difference / batch).T
    d_c = np.zeros((u, batch), dtype)
    for t in reversed(range(steps)):
        d_c += d_h * carry_from_h[t]
        d_pre[t, :3] *= d_c
        d_pre[t, 3] *= d_h
        d_c *= f[t]
        d_h = recurrent_kernel @ d_pre[t].reshape(4 * u, batch)
    # All weight gradients in one product over (time, batch) columns.
    d_pre_columns = d_pre.reshape(steps, 4 * u, batch).transpose(1, 0, 2).reshape(4 * u, steps * batch)
    z_columns = z[:steps].transpose(1, 0, 2).reshape(features + 1 + u, steps * batch)
    d_stacked = d_pre_columns @ z_columns.T
    return loss, [d_stacked[:, :features].T, d_stacked[:, features + 1 :].T, d_stacked[:, features]]


def make_mlkit_lstm(weights):
    lstm = layers.LSTM(UNITS)
    lstm(ops.zeros((1, STEPS, FEATURES)))
    lstm.set_weights(weights)
    return lstm


def mlkit_lstm_loss_and_grads(lstm, x, target):
    with mlkit.GradientTape() as tape:
        difference = lstm(x) - target
        loss = 0.5 * ops.mean(ops.sum(difference * difference, axis=1))
    return loss, tape.gradient(loss, lstm.trainable_weights)


def best_times(functions, rounds=15, number=20):
    """The best time per call of each function, measured in alternation.

    Alternating the functions round by round gives both the same share of
    a busy machine; the best round is the least disturbed one.
    """
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            best[index] = min(best[index], timeit.timeit(function, number=number) / number)
    return best


def main():
    rng = np.random.default_rng(0)
    weights = make_weights(rng)
    lstm = make_mlkit_lstm(weights)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
    target = rng.uniform(-0.5, 0.5, size=(BATCH, UNITS)).astype(np.float32)

    reference_loss, reference_grads = numpy_lstm_loss_and_grads(weights, x, target)
    loss, grads = mlkit_lstm_loss_and_grads(lstm, x, target)
    # The two must compute the same thing before their times mean anything.
    assert np.allclose(float(loss), reference_loss, rtol=1e-5), (float(loss), reference_loss)
    for got, expected in zip(grads, reference_grads):
        assert np.allclose(got.numpy(), expected, rtol=1e-3, atol=1e-6)

    x_tensor = ops.convert_to_tensor(x)
    numpy_time, mlkit_time = best_times(
        [
            lambda: numpy_lstm_loss_and_grads(weights, x, target),
            lambda: mlkit_lstm_loss_and_grads(lstm, x_tensor, target),
        ]
    )
    print(f"LSTM({UNITS}) on {STEPS}x{FEATURES} sequences, batch {BATCH}, forward + backward, float32")
    print("best of 15 alternating rounds")
    print(f"{'numpy (ms)':>11} {'mlkit (ms)':>11} {'ratio':>7}")
    print(f"{numpy_time * 1e3:>11.3f} {mlkit_time * 1e3:>11.3f} {mlkit_time / numpy_time:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
