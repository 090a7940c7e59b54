"""Training speed: mlkit `fit` against the same training written by hand.

For each workload, in one run and on the same data and initial weights:

- numpy   : a hand-written loop — shuffle, batch, forward, manual backward,
            Adam — the floor for any NumPy engine;
- mlkit   : `model.fit(..., verbose=0)` with the equivalent model;
- torch   : the same model in PyTorch eager on the CPU, when torch is
            installed (an optional reference; skipped otherwise).

Prints milliseconds per training step and the ratio mlkit / numpy. Run it
with `make bench` or `python benchmarks/training.py`. Both loops use one
thread for BLAS when threadpoolctl is installed, so the ratio measures the
framework, not the thread scheduler.
"""

import sys
import time

import numpy as np

import mlkit
from mlkit import layers

EPOCHS = 3


# -- the hand-written reference -------------------------------------------------
class NumpyAdam:
    """Adam with Keras's defaults and update formula, on plain arrays."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.params = params
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        lr = self.lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g * g - v)
            p -= lr * m / (np.sqrt(v) + self.eps)


def mlp_forward_backward(params, x, y):
    w1, b1, w2, b2, w3, b3 = params
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3 + b3
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    batch = len(x)
    loss = -np.log(probs[np.arange(batch), y]).mean()
    d_logits = probs
    d_logits[np.arange(batch), y] -= 1
    d_logits /= batch
    d_z2 = (d_logits @ w3.T) * (z2 > 0)
    d_z1 = (d_z2 @ w2.T) * (z1 > 0)
    grads = [x.T @ d_z1, d_z1.sum(0), h1.T @ d_z2, d_z2.sum(0), h2.T @ d_logits, d_logits.sum(0)]
    return loss, grads


def numpy_fit(params, x, y, batch_size, forward_backward, epochs=EPOCHS, seed=0):
    optimizer = NumpyAdam(params)
    rng = np.random.default_rng(seed)
    steps = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        xs, ys = x[order], y[order]
        for start in range(0, len(x), batch_size):
            _, grads = forward_backward(params, xs[start:start + batch_size], ys[start:start + batch_size])
            optimizer.step(grads)
            steps += 1
    return steps


# -- workloads ------------------------------------------------------------------
def digits_mlp_workload():
    (x, y), _ = mlkit.datasets.digits.load_data()
    x = (x.reshape(len(x), -1) / 16).astype(np.float32)
    y = y.astype(np.int64)

    def make_model():
        model = mlkit.Sequential([
            mlkit.Input(shape=(64,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    return x, y, make_model, mlp_forward_backward


def torch_mlp_fit(torch, params, x, y, batch_size):
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )
    with torch.no_grad():
        for linear, (w, b) in zip([model[0], model[2], model[4]], zip(params[::2], params[1::2])):
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b.copy()))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    steps = 0
    for _ in range(EPOCHS):
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(xt[index]), yt[index]).backward()
            optimizer.step()
            steps += 1
    return steps


def timed(function, repeats=3):
    """Best wall time of `repeats` runs, and what the function returned."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def single_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1)


def main():
    single_thread()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    x, y, make_model, forward_backward = digits_mlp_workload()
    print(f"Training the digits MLP 64-128-64-10 ({len(x)} samples, {EPOCHS} epochs, Adam), best of 3")
    header = f"{'workload':<22} {'numpy ms/step':>14} {'mlkit ms/step':>14} {'ratio':>7}"
    print(header + (f" {'torch ms/step':>14}" if torch else "  (torch not installed: skipped)"))
    mlkit.utils.set_random_seed(0)
    model = make_model()
    initial = [w.copy() for w in model.get_weights()]
    for batch_size in (32, 256):
        def run_mlkit():
            model.set_weights(initial)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # a fresh Adam
            model.fit(x, y, batch_size=batch_size, epochs=EPOCHS, verbose=0)
            return int(model.optimizer.iterations.numpy())

        def run_numpy():
            return numpy_fit([w.copy() for w in initial], x, y, batch_size, forward_backward)

        numpy_time, steps = timed(run_numpy)
        mlkit_time, mlkit_steps = timed(run_mlkit)
        assert steps == mlkit_steps, (steps, mlkit_steps)
        line = f"{'MLP batch ' + str(batch_size):<22} {numpy_time / steps * 1e3:>14.3f} {mlkit_time / steps * 1e3:>14.3f} {mlkit_time / numpy_time:>6.2f}x"
        if torch:
            torch_time, _ = timed(lambda: torch_mlp_fit(torch, initial, x, y, batch_size))
            line += f" {torch_time / steps * 1e3:>14.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
