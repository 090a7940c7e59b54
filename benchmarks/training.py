"""Training speed: mlkit `fit` against the same training written by hand.

For each workload, in one run and on the same data and initial weights:

- numpy   : a hand-written loop — shuffle, batch, forward, manual backward,
            Adam — the floor for any NumPy engine;
- mlkit   : `model.fit(..., verbose=0)` with the equivalent model, eagerly
            and with `compile(jit_compile=True)` (the traced step);
- torch   : the same model in PyTorch eager on the CPU, when torch is
            installed (an optional reference; skipped otherwise).

The headline table trains the way learners write it: `compile(optimizer=
Adam(), loss=..., metrics=[...])` ("accuracy" for the classifiers, "mae" for
the LSTM's regression), then one `fit(..., epochs=HEADLINE_EPOCHS, verbose=0)`.
Every engine runs for 3 seeds x 3 rounds, interleaved: each block (one
seed of one round) runs every engine back to back. The table shows the
median samples per second (CPU time) over the clean epochs — every epoch
but the first, which builds and traces — and the ratios of the times,
paired: each block's ratio compares engines that ran seconds apart, and the
table shows the median of the blocks' ratios. On a shared machine, load
from other programs comes and goes over seconds to minutes; pairing cancels
what hits a whole block, where a ratio of the overall medians would not.
A second table keeps the older measurement: ms per step, best of 3, no
metrics.

Run it with `make bench` or `python benchmarks/training.py` (both set
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1, unless already set, before NumPy
loads; threadpoolctl, when installed, also limits BLAS to one thread), so the
ratios measure the framework, not the thread scheduler: CPU time counts every
thread, and idle BLAS threads spinning on a small matrix would be counted.
`--workloads LSTM` runs only the workloads whose name contains "LSTM";
`--headline-only` skips the older table. The machine's load average is
printed before and after: the interleaved medians resist load, but a busy
machine still slows every engine a little.

For steadier figures, hold glibc's allocator still: with
`MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_MMAP_THRESHOLD_=67108864` in the
environment, freed memory is not handed back to the system between steps
(and taken back, page by page, on the next one). Every engine then runs
under the same settings; without them, on a 2 ms step, that churn alone
moves a ratio by up to 0.2 from one run to the next.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before NumPy loads its BLAS

# The imports below come after the environment is set, on purpose.
import argparse
import sys
import time

import numpy as np

import conv_reference
import lstm_reference
from ops_overhead import numpy_forward_backward as mlp_forward_backward

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
        # A Python float: a NumPy float64 scalar would make every update below compute in float64.
        lr = float(self.lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (1 - self.b1) * (g - m)
            v += (1 - self.b2) * (g * g - v)
            p -= lr * m / (np.sqrt(v) + self.eps)


def numpy_epoch(optimizer, x, y, batch_size, forward_backward, rng):
    """One shuffled pass over the data; returns the number of steps."""
    order = rng.permutation(len(x))
    xs, ys = x[order], y[order]
    steps = 0
    for start in range(0, len(x), batch_size):
        _, grads = forward_backward(optimizer.params, xs[start:start + batch_size], ys[start:start + batch_size])
        optimizer.step(grads)
        steps += 1
    return steps


def numpy_fit(params, x, y, batch_size, forward_backward, epochs=EPOCHS, seed=0):
    optimizer = NumpyAdam(params)
    rng = np.random.default_rng(seed)
    return sum(numpy_epoch(optimizer, x, y, batch_size, forward_backward, rng) for _ in range(epochs))


# -- workloads ------------------------------------------------------------------
# Each: its data, a compiled mlkit model, the hand-written forward/backward
# (loss and gradients in the order of model.weights), and a PyTorch version.
def digits_mlp():
    (x, y), _ = mlkit.datasets.digits.load_data()
    x = (x.reshape(len(x), -1) / 16).astype(np.float32)

    def make_model():
        model = mlkit.Sequential([
            mlkit.Input(shape=(64,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ])
        model.compile(optimizer="adam", loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    def torch_model(torch):
        nn = torch.nn
        return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))

    return x, y.astype(np.int64), make_model, mlp_forward_backward, torch_model, "cross_entropy"


def digits_cnn():
    (x, y), _ = mlkit.datasets.digits.load_data()
    x = (x[..., None] / 16).astype(np.float32)

    def make_model():
        model = mlkit.Sequential([
            mlkit.Input(shape=(8, 8, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(10),
        ])
        model.compile(optimizer="adam", loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    def torch_model(torch):
        nn = torch.nn
        return nn.Sequential(
            channels_first_module(torch), nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), channels_last_flatten_module(torch), nn.Linear(512, 10),
        )

    return x, y.astype(np.int64), make_model, conv_reference.numpy_forward_backward, torch_model, "cross_entropy"


def sequence_lstm():
    x, _ = mlkit.datasets.synthetic.sequence_task(n_samples=1024, timesteps=20, features=8, seed=0)
    target = np.random.default_rng(0).normal(size=(len(x), 32)).astype(np.float32)

    def make_model():
        model = mlkit.Sequential([mlkit.Input(shape=(20, 8)), layers.LSTM(32)])
        model.compile(optimizer="adam", loss="mse")
        return model

    def torch_model(torch):
        return last_output_lstm_module(torch)

    return x.astype(np.float32), target, make_model, lstm_reference.numpy_lstm_loss_and_grads, torch_model, "mse"


WORKLOADS = [("MLP 64-128-64-10", digits_mlp, 32), ("MLP 64-128-64-10", digits_mlp, 256),
             ("small CNN on digits", digits_cnn, 64), ("LSTM(32) on 20x8", sequence_lstm, 64)]


# -- PyTorch versions (optional reference) ----------------------------------------
def channels_first_module(torch):
    class ToChannelsFirst(torch.nn.Module):
        def forward(self, x):
            return x.permute(0, 3, 1, 2)

    return ToChannelsFirst()


def channels_last_flatten_module(torch):
    class Flatten(torch.nn.Module):
        def forward(self, x):
            return x.permute(0, 2, 3, 1).reshape(len(x), -1)

    return Flatten()


def last_output_lstm_module(torch):
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(8, 32, batch_first=True)

        def forward(self, x):
            return self.lstm(x)[0][:, -1]

    return Model()


def torch_epoch(torch, model, optimizer, loss_fn, xt, yt, batch_size):
    order = torch.randperm(len(xt))
    steps = 0
    for start in range(0, len(xt), batch_size):
        index = order[start:start + batch_size]
        optimizer.zero_grad()
        loss_fn(model(xt[index]), yt[index]).backward()
        optimizer.step()
        steps += 1
    return steps


def torch_setup(torch, make_torch_model, loss_name, x, y):
    model = make_torch_model(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss() if loss_name == "cross_entropy" else torch.nn.MSELoss()
    return model, optimizer, loss_fn, torch.from_numpy(x), torch.from_numpy(y)


def torch_fit(torch, make_torch_model, loss_name, x, y, batch_size):
    model, optimizer, loss_fn, xt, yt = torch_setup(torch, make_torch_model, loss_name, x, y)
    return sum(torch_epoch(torch, model, optimizer, loss_fn, xt, yt, batch_size) for _ in range(EPOCHS))


# -- the headline: fit as learners write it ----------------------------------------
HEADLINE_EPOCHS = 4  # the first builds (and traces); the other three are the clean ones
SEEDS = (0, 1, 2)
ROUNDS = 3


class EpochClock(mlkit.callbacks.Callback):
    """CPU seconds of every epoch of a fit."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.process_time() - self.start)


def timed_epochs(run_epoch, epochs=HEADLINE_EPOCHS):
    seconds = []
    for _ in range(epochs):
        start = time.process_time()
        run_epoch()
        seconds.append(time.process_time() - start)
    return seconds


def headline_runs(workload, batch_size, torch):
    """Per engine, the median samples per second of its clean epochs; and the
    paired time ratios (see the module docstring) as {(engine, other): ratio}."""
    x, y, make_model, forward_backward, make_torch_model, loss_name = workload()
    metrics = ["accuracy"] if loss_name == "cross_entropy" else ["mae"]
    rates = {"numpy": [], "eager": [], "jit": [], "torch": []}
    blocks = []  # per block: {engine: median samples/s of its clean epochs in that block}

    def keep(engine, seconds):
        clean = [len(x) / s for s in seconds[1:]]
        rates[engine].extend(clean)
        blocks[-1][engine] = float(np.median(clean))

    for _ in range(ROUNDS):
        for seed in SEEDS:
            blocks.append({})
            mlkit.utils.set_random_seed(seed)
            model = make_model()
            initial = [w.copy() for w in model.get_weights()]
            loss = model.loss
            optimizer = NumpyAdam([w.copy() for w in initial])
            rng = np.random.default_rng(seed)
            keep("numpy", timed_epochs(lambda: numpy_epoch(optimizer, x, y, batch_size, forward_backward, rng)))
            for engine, jit in (("eager", False), ("jit", True)):
                model.set_weights(initial)
                model.compile(optimizer=mlkit.optimizers.Adam(), loss=loss, metrics=metrics, jit_compile=jit)
                clock = EpochClock()
                model.fit(x, y, batch_size=batch_size, epochs=HEADLINE_EPOCHS, verbose=0, callbacks=[clock])
                keep(engine, clock.seconds)
            if torch:
                torch.manual_seed(seed)
                parts = torch_setup(torch, make_torch_model, loss_name, x, y)
                keep("torch", timed_epochs(lambda: torch_epoch(torch, *parts, batch_size)))
    medians = {engine: float(np.median(values)) for engine, values in rates.items() if values}
    ratios = {
        (engine, other): float(np.median([block[other] / block[engine] for block in blocks]))
        for engine in medians for other in medians
    }
    return medians, ratios


def print_headline(torch, workloads):
    print(
        f"fit as learners use it: compile(Adam, loss, metrics), fit(epochs={HEADLINE_EPOCHS}, verbose=0); "
        f"median samples/s (CPU time) of the clean epochs, {len(SEEDS)} seeds x {ROUNDS} interleaved rounds"
    )
    print("  time ratios: the median over those blocks of each block's ratio (engines that ran seconds apart)")
    columns = ["numpy", "eager", "jit"] + (["torch"] if torch else [])
    header = f"{'workload':<22} {'batch':>5} " + " ".join(f"{c:>8}" for c in columns)
    header += f" {'eager/np':>8} {'jit/np':>7}" + (f" {'torch/jit':>9}" if torch else "")
    print(header + ("" if torch else "   (torch not installed: its column is skipped)"))
    print("  (x/np: time ratio to the hand-written NumPy floor, lower is better; torch/jit > 1: mlkit faster)")
    for name, workload, batch_size in workloads:
        rate, ratio = headline_runs(workload, batch_size, torch)
        line = f"{name:<22} {batch_size:>5} " + " ".join(f"{rate[c]:>8.0f}" for c in columns)
        line += f" {ratio['eager', 'numpy']:>7.2f}x {ratio['jit', 'numpy']:>6.2f}x"
        if torch:
            line += f" {ratio['torch', 'jit']:>8.2f}x"
        print(line, flush=True)


def timed(function, repeats=3):
    """Best CPU time of `repeats` runs, and what the function returned."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.process_time()  # CPU time: load from other programs hurts less
        result = function()
        best = min(best, time.process_time() - start)
    return best, result


def single_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="", help="run only the workloads whose name contains this text")
    parser.add_argument("--headline-only", action="store_true", help="skip the older best-of-3 table")
    return parser.parse_args(argv)


def load_average():
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except (AttributeError, OSError):  # not on every platform
        return "unknown"


def main(argv=None):
    arguments = parse_arguments(argv)
    workloads = [entry for entry in WORKLOADS if arguments.workloads.lower() in entry[0].lower()]
    single_thread()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    print(f"load average (1, 5, 15 min) at the start: {load_average()}")
    print_headline(torch, workloads)
    if arguments.headline_only:
        print(f"load average at the end: {load_average()}")
        return 0
    print()
    print(f"Training speed, {EPOCHS} epochs with Adam, no metrics, best of 3 runs, ms per training step")
    header = f"{'workload':<22} {'batch':>5} {'numpy':>8} {'mlkit':>8} {'ratio':>6}"
    print(header + (f" {'torch':>8}" if torch else "   (torch not installed: skipped)"))
    for name, workload, batch_size in workloads:
        x, y, make_model, forward_backward, make_torch_model, loss_name = workload()
        mlkit.utils.set_random_seed(0)
        model = make_model()
        initial = [w.copy() for w in model.get_weights()]
        loss = model.loss

        def run_mlkit():
            model.set_weights(initial)
            model.compile(optimizer="adam", loss=loss)  # a fresh Adam
            model.fit(x, y, batch_size=batch_size, epochs=EPOCHS, verbose=0)
            return int(model.optimizer.iterations.numpy())

        def run_numpy():
            return numpy_fit([w.copy() for w in initial], x, y, batch_size, forward_backward)

        numpy_time, steps = timed(run_numpy)
        mlkit_time, mlkit_steps = timed(run_mlkit)
        assert steps == mlkit_steps, (steps, mlkit_steps)
        line = f"{name:<22} {batch_size:>5} {numpy_time / steps * 1e3:>8.3f} {mlkit_time / steps * 1e3:>8.3f} {mlkit_time / numpy_time:>5.2f}x"
        if torch:
            torch_time, _ = timed(lambda: torch_fit(torch, make_torch_model, loss_name, x, y, batch_size))
            line += f" {torch_time / steps * 1e3:>8.3f}"
        print(line)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
