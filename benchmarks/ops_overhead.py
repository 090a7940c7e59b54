"""How much does mlkit's autodiff add on top of the NumPy math it runs?

One forward + backward pass of the digits MLP 64-128-64-10 (ReLU, softmax
cross-entropy), timed side by side in one run:

- numpy : written by hand, forward and manual backward — the floor;
- mlkit : three `layers.Dense` called under a `GradientTape`, the loss
          from `mlkit.losses`, then `tape.gradient` for all six weights.

Prints the time per pass and the ratio mlkit / numpy for batch 32 and 256.
Run it with `make bench` or `python benchmarks/ops_overhead.py`.
"""

import sys
import time
import timeit

import numpy as np

import mlkit
from mlkit import layers, ops

SIZES = (64, 128, 64, 10)


def make_weights(rng):
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        weights.append(np.zeros(fan_out, dtype=np.float32))
    return weights


def numpy_forward_backward(weights, x, y):
    """Loss and the six gradients, by hand (in place where NumPy allows)."""
    w1, b1, w2, b2, w3, b3 = weights
    batch = len(x)
    rows = np.arange(batch)
    h1 = x @ w1
    h1 += b1
    np.maximum(h1, 0, out=h1)
    h2 = h1 @ w2
    h2 += b2
    np.maximum(h2, 0, out=h2)
    logits = h2 @ w3
    logits += b3
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[rows, y]).mean()
    d_logits = probs  # softmax - one_hot, over the batch
    d_logits[rows, y] -= 1
    d_logits /= batch
    d_h2 = d_logits @ w3.T
    d_h2 *= h2 > 0
    d_h1 = d_h2 @ w2.T
    d_h1 *= h1 > 0
    grads = [x.T @ d_h1, d_h1.sum(axis=0), h1.T @ d_h2, d_h2.sum(axis=0), h2.T @ d_logits, d_logits.sum(axis=0)]
    return loss, grads


def make_mlkit_model(weights):
    stack = [
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
    ]
    x = ops.zeros((1, SIZES[0]))
    for layer in stack:
        x = layer(x)
    variables = [v for layer in stack for v in layer.weights]
    for variable, value in zip(variables, weights):
        variable.assign(value)
    return stack, variables


def mlkit_forward_backward(stack, variables, x, y):
    with mlkit.GradientTape() as tape:
        h = x
        for layer in stack:
            h = layer(h)
        loss = ops.mean(mlkit.losses.sparse_categorical_crossentropy(y, h, from_logits=True))
    return loss, tape.gradient(loss, variables)


def interleaved_best(functions, rounds=25, number=100):
    """Best time per call of each function, timed in alternating short rounds.

    Alternating means a burst of load from elsewhere on the machine slows
    both sides alike, and the minimum over rounds is the undisturbed time.
    """
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            timer = timeit.Timer(function, timer=time.process_time)  # CPU time: others' load hurts less
            best[index] = min(best[index], timer.timeit(number=number) / number)
    return best


def main():
    rng = np.random.default_rng(0)
    weights = make_weights(rng)
    stack, variables = make_mlkit_model(weights)
    print(f"MLP {'-'.join(map(str, SIZES))}, forward + backward, float32, best of 25 interleaved rounds")
    print(f"{'batch':>6} {'numpy (ms)':>11} {'mlkit (ms)':>11} {'ratio':>7}")
    for batch in (32, 256):
        x = rng.normal(size=(batch, SIZES[0])).astype(np.float32)
        y = rng.integers(0, 10, size=batch)
        reference_loss, reference_grads = numpy_forward_backward(weights, x, y)
        loss, grads = mlkit_forward_backward(stack, variables, x, y)
        # The two must compute the same thing before their times mean anything.
        assert np.allclose(float(loss), reference_loss, rtol=1e-5), (float(loss), reference_loss)
        for got, expected in zip(grads, reference_grads):
            assert np.allclose(got.numpy(), expected, rtol=1e-4, atol=1e-6)
        x_tensor = ops.convert_to_tensor(x)
        numpy_time, mlkit_time = interleaved_best([
            lambda: numpy_forward_backward(weights, x, y),
            lambda: mlkit_forward_backward(stack, variables, x_tensor, y),
        ])
        print(f"{batch:>6} {numpy_time * 1e3:>11.3f} {mlkit_time * 1e3:>11.3f} {mlkit_time / numpy_time:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
