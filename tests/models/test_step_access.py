"""Seed 000: how a layer can read the training step — the three Keras ways and mlkit's.

Each way drives a KL-style annealing weight, weight = min(1, step / 4), and
every test records the weight the layer saw at each training step.
"""

import numpy as np

import mlkit
from mlkit import layers, ops

STEPS = 6
x = np.ones((8, 2), dtype="float32")
y = np.zeros((8, 1), dtype="float32")


def annealing_weight(step):
    return ops.minimum(1.0, ops.cast(step, "float32") / 4.0)


def fit_one_batch_per_step(model):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=STEPS, verbose=0)


# 1. Model.call passes `self.optimizer.iterations + 1` down (seed 000, approach 1).
class StepFromCaller(layers.Layer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, inputs, training=False, current_step=None):
        self.seen.append(float(annealing_weight(current_step)))
        return inputs


class CustomModel(mlkit.Model):
    def __init__(self):
        super().__init__()
        self.custom_layer = StepFromCaller()
        self.dense = layers.Dense(1)

    def call(self, inputs, training=False):
        current_step = self.optimizer.iterations + 1
        return self.dense(self.custom_layer(inputs, training=training, current_step=current_step))


def test_approach_1_model_passes_the_step():
    model = CustomModel()
    fit_one_batch_per_step(model)
    # iterations + 1: the first step already sees step 1.
    assert model.custom_layer.seen == [min(1.0, s / 4) for s in range(1, STEPS + 1)]


# 2. A layer-local counter (seed 000, approach 2) counts *calls*, not steps.
class CountingLayer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.step_counter = 0
        self.seen = []

    def call(self, inputs, training=False):
        if training:
            self.step_counter += 1
        self.seen.append(min(1.0, self.step_counter / 4))
        return inputs


def test_approach_2_counter_drifts_when_the_layer_is_called_twice_per_step():
    counting = CountingLayer()
    inputs = mlkit.Input(shape=(2,))
    twice = counting(counting(inputs))
    model = mlkit.Model(inputs, layers.Dense(1)(twice))
    fit_one_batch_per_step(model)
    assert counting.step_counter == 2 * STEPS  # the drawback the seed warns about
    assert counting.seen[-1] == 1.0


# 3. A layer built with the optimizer instance (seed 000, approach 3).
class OptimizerBoundLayer(layers.Layer):
    def __init__(self, optimizer):
        super().__init__()
        self.optimizer = optimizer
        self.seen = []

    def call(self, inputs):
        self.seen.append(float(annealing_weight(self.optimizer.iterations)))
        return inputs


def test_approach_3_layer_bound_to_the_optimizer():
    optimizer = mlkit.optimizers.SGD()
    bound = OptimizerBoundLayer(optimizer)
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), bound, layers.Dense(1)])
    bound.seen.clear()  # building traced the layer once
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=8, epochs=STEPS, verbose=0)
    assert bound.seen == [min(1.0, s / 4) for s in range(STEPS)]


# 4. mlkit's extension: any layer reads self.training_step, with no plumbing.
class AnnealedPenalty(layers.Layer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, inputs):
        weight = min(1.0, self.training_step / 4)
        self.seen.append(weight)
        self.add_loss(weight * ops.mean(ops.square(inputs)))
        return inputs


class Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.inner = AnnealedPenalty()

    def call(self, inputs):
        return self.inner(self.inner(inputs))  # called twice in one step


def test_training_step_reaches_a_deeply_nested_layer_without_plumbing():
    block = Block()
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), block, layers.Dense(1)])
    block.inner.seen.clear()
    assert block.inner.training_step == 0  # before training, and outside any model call
    fit_one_batch_per_step(model)
    expected = [min(1.0, s / 4) for s in range(STEPS)]
    # Same value for both calls of one step, and equal to optimizer.iterations then.
    assert block.inner.seen == [w for w in expected for _ in range(2)]


def test_training_step_in_evaluate_and_predict_is_the_steps_done_so_far():
    penalty = AnnealedPenalty()
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), penalty, layers.Dense(1)])
    fit_one_batch_per_step(model)
    penalty.seen.clear()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert penalty.seen == [1.0, 1.0]  # 6 steps done: min(1, 6/4)
    assert model.optimizer.iterations.numpy() == STEPS


def test_the_annealed_penalty_really_enters_the_loss():
    penalty = AnnealedPenalty()
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), penalty, layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=mlkit.optimizers.SGD(learning_rate=0.0), loss="mse")
    losses = [model.train_on_batch(x, y) for _ in range(3)]
    model.reset_metrics()
    # mse is 0 (zero kernel); the penalty is weight * mean(x^2) = step / 4 (running mean over calls)
    assert np.allclose(losses, [0.0, (0 + 0.25) / 2, (0 + 0.25 + 0.5) / 3])
