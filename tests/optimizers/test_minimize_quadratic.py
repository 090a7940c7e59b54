"""End to end: each optimizer, driven by GradientTape + apply_gradients,
finds the minimum of an ill-conditioned quadratic."""

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import ops, optimizers

TARGET_W = np.array([[1.0, -2.0], [0.5, 3.0]], dtype="float32")
TARGET_B = np.array([-1.0, 2.0], dtype="float32")
SCALES = np.array([[1.0, 4.0], [0.25, 2.0]], dtype="float32")


@pytest.mark.parametrize(
    "make, steps",
    [
        (lambda: optimizers.SGD(learning_rate=0.1), 400),
        (lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9), 300),
        (lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True), 300),
        (lambda: optimizers.Adam(learning_rate=0.05), 600),
        (lambda: optimizers.Adam(learning_rate=0.05, amsgrad=True), 600),
        (lambda: optimizers.AdamW(learning_rate=0.05, weight_decay=1e-4), 600),
        (lambda: optimizers.RMSprop(learning_rate=0.01), 600),
        (lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True), 600),
        (lambda: optimizers.Adagrad(learning_rate=0.5), 600),
        (lambda: optimizers.Adam(optimizers.schedules.CosineDecay(0.0, 500, warmup_target=0.1, warmup_steps=50)), 550),
    ],
)
def test_reaches_the_minimum(make, steps):
    w = mlkit.Variable(np.zeros((2, 2), dtype="float32"), name="w")
    b = mlkit.Variable(np.zeros(2, dtype="float32"), name="b")
    optimizer = make()
    for _ in range(steps):
        with mlkit.GradientTape() as tape:
            loss = ops.sum(SCALES * ops.square(w - TARGET_W)) + ops.sum(ops.square(b - TARGET_B))
        grads = tape.gradient(loss, [w, b])
        optimizer.apply_gradients(zip(grads, [w, b]))
    np.testing.assert_allclose(w.numpy(), TARGET_W, atol=2e-2)
    np.testing.assert_allclose(b.numpy(), TARGET_B, atol=2e-2)
    assert int(optimizer.iterations) == steps
