"""What the eager training step pays for Keras's API, one part at a time.

`fit`'s eager step (`Trainer.train_step`) does the arithmetic of the
hand-written floor in training.py (forward, loss, backward, Adam) through
the API that makes it Keras: `Model.__call__` and `Layer.__call__` for every
layer, the compiled loss, `optimizer.apply`, the loss tracker and the
metric objects. This script trains training.py's MLP (64-128-64-10, Adam,
"accuracy") at batch 32 with the real step, and with each of those parts
replaced by the direct call that does the same arithmetic:

- layer calls : `ops.fused.dense` on each layer's kernel and bias, the op
                `Dense.call` itself runs, instead of `model(x, training=True)`;
- loss        : the one-node mean cross-entropy (`crossentropy_ops`), which
                `compute_loss` ends in, without the checks and wrappers on the way;
- optimizer   : the gradients written into the optimizer's own buffers, then
                its update, as the traced step does, instead of `optimizer.apply`;
- tracker     : the loss added to the tracker's running mean directly;
- metrics     : the batch's accuracy added to the metric's running mean directly;
- all five together.

Before timing, each variant trains from the same weights as the real step
for a few batches, and the script checks the weights agree: the parts it
replaces cost time, not arithmetic. Then every variant and the floor run one
epoch each, back to back, for several rounds (CPU time, one process); the
table shows each variant's median time per step, the median of its
per-round saving against the real step, and its ratio to the floor.

    python benchmarks/eager_step_parts.py     (or `make bench`)

For steadier figures, hold glibc's allocator still, as training.py explains.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before NumPy loads its BLAS

# The imports below come after the environment is set, on purpose.
import numpy as np

import training

import mlkit
from mlkit.layers.core.dense import fused_activation_name
from mlkit.losses import crossentropy_ops
from mlkit.models.data_adapter import unpack_batch
from mlkit.ops import fused

BATCH_SIZE = 32
ROUNDS = 40
PARTS = ("layer calls", "loss", "optimizer", "tracker", "metrics")
# Each variant's name, and the parts it replaces.
VARIANTS = {"real train_step": (), **{f"without {part}": (part,) for part in PARTS}, "without all five": PARTS}


def make_step(model, bypassed):
    """`model.train_step`, with the parts named in `bypassed` replaced by their direct calls.

    `model` has been fit on a batch already, so its metrics and optimizer are built.
    """
    activations = [fused_activation_name(layer.activation) for layer in model.layers]  # as Dense.call finds them
    _, accuracy, _ = model._compiled_metrics.metrics[0]

    def step(data):
        x, y, sample_weight = unpack_batch(data)
        with mlkit.GradientTape() as tape:
            if "layer calls" in bypassed:
                y_pred = x
                for layer, activation in zip(model.layers, activations):
                    y_pred = fused.dense(y_pred, layer.kernel, layer.bias, activation)
            else:
                y_pred = model(x, training=True)
            if "loss" in bypassed:
                loss = crossentropy_ops.mean_sparse_crossentropy(y, y_pred, from_logits=True)
            else:
                loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        if "tracker" in bypassed:
            model._loss_tracker._add_weighted_number(loss.data, len(x))
        else:
            model._loss_tracker.update_state(loss, sample_weight=model._batch_size_of(x))
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        if "optimizer" in bypassed:
            for buffer, gradient in zip(model.optimizer._gradient_buffers(variables), gradients):
                buffer[...] = gradient.data
            model.optimizer._apply_gradient_buffers()
        else:
            model.optimizer.apply(gradients, variables)
        if "metrics" in bypassed:
            matches = np.equal(y_pred.data.argmax(axis=-1), y).astype(accuracy.dtype)
            accuracy._add_sample_values(matches)
        else:
            model.compute_metrics(x, y, y_pred, sample_weight)

    return step


def check_same_arithmetic(make_model, x, y, steps=5):
    """Every variant trains the real step's weights, from the same start."""
    results = {}
    for name, bypassed in VARIANTS.items():
        model = built_model(make_model, x[:BATCH_SIZE], y[:BATCH_SIZE])
        step = make_step(model, bypassed)
        for start in range(0, steps * BATCH_SIZE, BATCH_SIZE):
            step((x[start:start + BATCH_SIZE], y[start:start + BATCH_SIZE]))
        results[name] = model.get_weights()
    for name, weights in results.items():
        for got, expected in zip(weights, results["real train_step"], strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def built_model(make_model, x, y):
    """The workload's model, compiled as learners do and fit for one epoch (which builds everything)."""
    mlkit.utils.set_random_seed(0)
    model = make_model()
    model.compile(optimizer=mlkit.optimizers.Adam(), loss=model.loss, metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    return model


def run_epoch(step, x, y, rng):
    """One shuffled pass over the data through `step`, batched as `training.numpy_epoch` does."""
    order = rng.permutation(len(x))
    xs, ys = x[order], y[order]
    for start in range(0, len(x), BATCH_SIZE):
        step((xs[start:start + BATCH_SIZE], ys[start:start + BATCH_SIZE]))


def main():
    training.single_thread()
    x, y, make_model, forward_backward, _, _ = training.digits_mlp()
    check_same_arithmetic(make_model, x, y)
    model = built_model(make_model, x, y)
    steps = {name: make_step(model, bypassed) for name, bypassed in VARIANTS.items()}
    floor_optimizer = training.NumpyAdam([weight.copy() for weight in model.get_weights()])
    rng = np.random.default_rng(0)
    seconds = {name: [] for name in [*steps, "floor"]}
    for _ in range(ROUNDS):
        for name, step in steps.items():
            seconds[name] += training.timed_epochs(lambda: run_epoch(step, x, y, rng), epochs=1)
        seconds["floor"] += training.timed_epochs(
            lambda: training.numpy_epoch(floor_optimizer, x, y, BATCH_SIZE, forward_backward, rng), epochs=1
        )
    per_step = 1e6 / -(-len(x) // BATCH_SIZE)
    real = np.array(seconds["real train_step"])
    floor = np.array(seconds["floor"])
    print(f"MLP 64-128-64-10, batch {BATCH_SIZE}, Adam, accuracy: {ROUNDS} rounds, medians (CPU time)")
    print(f"{'step':<24}{'us/step':>9}{'saves us/step':>15}{'x floor':>9}")
    for name, times in seconds.items():
        times = np.array(times)
        saving = "" if name in ("real train_step", "floor") else f"{np.median(real - times) * per_step:.1f}"
        print(f"{name:<24}{np.median(times) * per_step:>9.1f}{saving:>15}{np.median(times / floor):>9.2f}")


if __name__ == "__main__":
    main()
