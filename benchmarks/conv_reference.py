"""How fast are mlkit's convolution and pooling layers next to hand-written NumPy?

One forward + backward pass of a small CNN on the bundled 8x8 digits,

    Conv2D(16, 3, same) - ReLU - MaxPool 2x2 - Conv2D(32, 3, same) - ReLU
    - Flatten - Dense(10) - softmax cross-entropy,

timed side by side in one run:

- numpy : `numpy_forward_backward(weights, x, y)`, written by hand for this
          network (im2col + one matmul per convolution, a slice-add per
          kernel tap for the input gradient, pooling over strided slices);
- mlkit : `layers.Conv2D`, `layers.MaxPooling2D` and `layers.Dense` called
          under a `GradientTape`, then `tape.gradient` for all six weights
          (ReLU and Flatten as `ops.relu` and `ops.reshape`).

Both are checked to compute the same loss and gradients before timing.
Prints the time per pass and the ratio mlkit / numpy (target: <= 1.3x).
Run it with `make bench` or `python benchmarks/conv_reference.py`.
"""

import sys
import time
import timeit

import numpy as np

import mlkit
from mlkit import layers, ops
from mlkit.datasets import digits

BATCH = 64


def make_weights(rng):
    """Glorot-uniform kernels and small random biases: conv1, conv2, dense."""
    shapes = [(3, 3, 1, 16), (3, 3, 16, 32), (4 * 4 * 32, 10)]
    weights = []
    for shape in shapes:
        receptive_field = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
        limit = np.sqrt(6 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, shape).astype(np.float32))
        weights.append(rng.normal(0, 0.1, shape[-1]).astype(np.float32))  # non-zero: checks the bias too
    return weights


# -- the hand-written reference ---------------------------------------------------
def im2col_3x3_same(x):
    """(N, H, W, C) -> (N*H*W, 9*C): every zero-padded 3x3 window as one row."""
    n, h, w, c = x.shape
    padded = np.zeros((n, h + 2, w + 2, c), dtype=x.dtype)
    padded[:, 1:-1, 1:-1] = x
    s = padded.strides
    windows = np.lib.stride_tricks.as_strided(padded, (n, h, w, 3, 3, c), (s[0], s[1], s[2], s[1], s[2], s[3]))
    return windows.reshape(n * h * w, 9 * c)


def col2im_3x3_same(columns_by_tap, shape):
    """The adjoint of im2col_3x3_same. columns_by_tap: (9, N*H*W, C), one block per kernel tap."""
    n, h, w, c = shape
    columns_by_tap = columns_by_tap.reshape(3, 3, n, h, w, c)
    padded = np.zeros((n, h + 2, w + 2, c), dtype=columns_by_tap.dtype)
    for i in range(3):
        for j in range(3):
            padded[:, i:i + h, j:j + w] += columns_by_tap[i, j]
    return padded[:, 1:-1, 1:-1]


def max_pool_2x2(x):
    """2x2 max pooling as the maximum of the four strided slices x[:, i::2, j::2]."""
    top = np.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2])
    bottom = np.maximum(x[:, 1::2, 0::2], x[:, 1::2, 1::2])
    return np.maximum(top, bottom)


def max_pool_2x2_backward(grad, x, pooled):
    """Route each window's gradient to its first maximum."""
    grad_x = np.zeros_like(x)
    unclaimed = np.ones(pooled.shape, dtype=bool)
    for i in range(2):
        for j in range(2):
            wins = (x[:, i::2, j::2] == pooled) & unclaimed
            unclaimed &= ~wins
            grad_x[:, i::2, j::2] = grad * wins
    return grad_x


def numpy_forward_backward(weights, x, y):
    """Loss and the six gradients of the CNN, by hand. x: (N, 8, 8, 1), y: (N,) labels."""
    k1, b1, k2, b2, w3, b3 = weights
    n = len(x)
    patches1 = im2col_3x3_same(x)                          # (N*64, 9)
    z1 = patches1 @ k1.reshape(-1, 16) + b1                # (N*64, 16)
    h1 = np.maximum(z1, 0)
    pooled = max_pool_2x2(h1.reshape(n, 8, 8, 16))         # (N, 4, 4, 16)
    patches2 = im2col_3x3_same(pooled)                     # (N*16, 144)
    z2 = patches2 @ k2.reshape(-1, 32) + b2                # (N*16, 32)
    h2 = np.maximum(z2, 0)
    flat = h2.reshape(n, -1)                               # (N, 512)
    logits = flat @ w3 + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()

    d_logits = np.exp(log_probs)
    d_logits[np.arange(n), y] -= 1
    d_logits /= n
    d_w3, d_b3 = flat.T @ d_logits, d_logits.sum(axis=0)
    d_z2 = (d_logits @ w3.T).reshape(-1, 32) * (z2 > 0)
    d_k2, d_b2 = (patches2.T @ d_z2).reshape(k2.shape), d_z2.sum(axis=0)
    taps2 = k2.reshape(9, 16, 32).transpose(0, 2, 1)       # (tap, out, in): one matmul per tap
    d_pooled = col2im_3x3_same(d_z2 @ taps2, pooled.shape)
    d_h1 = max_pool_2x2_backward(d_pooled, h1.reshape(n, 8, 8, 16), pooled).reshape(-1, 16)
    d_z1 = d_h1 * (z1 > 0)
    d_k1, d_b1 = (patches1.T @ d_z1).reshape(k1.shape), d_z1.sum(axis=0)
    return loss, [d_k1, d_b1, d_k2, d_b2, d_w3, d_b3]


# -- the same network in mlkit --------------------------------------------------------
def make_mlkit_model(weights):
    model = {
        "conv1": layers.Conv2D(16, 3, padding="same"),
        "pool": layers.MaxPooling2D(),
        "conv2": layers.Conv2D(32, 3, padding="same"),
        "dense": layers.Dense(10),
    }
    mlkit_forward(model, ops.zeros((1, 8, 8, 1)))  # build the weights
    variables = model["conv1"].weights + model["conv2"].weights + model["dense"].weights
    for variable, value in zip(variables, weights):
        variable.assign(value)
    return model, variables


def mlkit_forward(model, x):
    h = ops.relu(model["conv1"](x))
    h = model["pool"](h)
    h = ops.relu(model["conv2"](h))
    h = ops.reshape(h, (h.shape[0], -1))
    return model["dense"](h)


def mlkit_forward_backward(model, variables, x, y):
    with mlkit.GradientTape() as tape:
        log_probs = ops.log_softmax(mlkit_forward(model, x))
        loss = -ops.mean(ops.take_along_axis(log_probs, y[:, None], axis=1))
    return loss, tape.gradient(loss, variables)


def best_times(functions, repeat=15, number=50):
    """Best CPU time per call of each function.

    CPU time (not wall-clock time) so that other programs running at the same
    moment do not count; the runs alternate, so what remains (shared caches)
    slows both sides alike.
    """
    timers = [timeit.Timer(function, timer=time.process_time) for function in functions]
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for i, timer in enumerate(timers):
            best[i] = min(best[i], timer.timeit(number=number) / number)
    return best


def main():
    rng = np.random.default_rng(0)
    (x_train, y_train), _ = digits.load_data()
    x = (x_train[:BATCH, :, :, None] / 16.0).astype(np.float32)
    y = y_train[:BATCH].astype(np.int64)
    weights = make_weights(rng)
    model, variables = make_mlkit_model(weights)

    reference_loss, reference_grads = numpy_forward_backward(weights, x, y)
    loss, grads = mlkit_forward_backward(model, variables, ops.convert_to_tensor(x), y)
    # The two must compute the same thing before their times mean anything.
    assert np.allclose(float(loss), reference_loss, rtol=1e-5), (float(loss), reference_loss)
    for variable, got, expected in zip(variables, grads, reference_grads):
        assert np.allclose(got.numpy(), expected, rtol=1e-4, atol=1e-6), variable.path

    x_tensor = ops.convert_to_tensor(x)
    numpy_time, mlkit_time = best_times(
        [
            lambda: numpy_forward_backward(weights, x, y),
            lambda: mlkit_forward_backward(model, variables, x_tensor, y),
        ]
    )
    print(f"CNN on 8x8 digits, batch {BATCH}, forward + backward, float32, best CPU time of 15 x 50 runs")
    print(f"{'numpy (ms)':>11} {'mlkit (ms)':>11} {'ratio':>7}")
    print(f"{numpy_time * 1e3:>11.3f} {mlkit_time * 1e3:>11.3f} {mlkit_time / numpy_time:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
