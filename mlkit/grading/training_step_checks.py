"""Checks for notebook 07 (the training step inside a layer): annealed loss weights.

A layer that adds `weight * rate * mean(inputs ** 2)` to the loss, with
`weight = min(1, step / anneal_steps)`, is trained inside a real `fit` (one
batch per step, learning rate 0 so the data never changes), and the weight it
used at every step is read back from the loss it added. The wrong answers
they catch, each named in the message: a counter of the layer's own (counted
twice when the layer is called twice in a step, or advanced in evaluate and
predict), the step read once and kept (a constant weight), `iterations + 1`
(one step early), integer division, no cap at 1, a penalty without `rate` or
summed instead of averaged, and the optimizer's counter stored as a layer
weight.

    >>> from mlkit import layers, ops
    >>> class Annealed(layers.Layer):
    ...     def call(self, inputs):
    ...         weight = min(1.0, self.training_step / 4)
    ...         self.add_loss(weight * 0.5 * ops.mean(ops.square(inputs)))
    ...         return inputs
    >>> [[round(w, 4) for w in step] for step in recorded_weights(Annealed, steps=6, rate=0.5)]
    [[0.0], [0.25], [0.5], [0.75], [1.0], [1.0]]
"""

import numpy as np

from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import as_numpy, class_name, float64_layers, new_layer

_FEATURES = 3


def _data(samples=8, seed=0):
    x = np.random.default_rng(seed).normal(size=(samples, _FEATURES)).astype("float32")
    return x, np.zeros((samples, 1), dtype="float32")


def _model_around(layer, calls_per_step):
    """Input -> layer (once, or twice in a row) -> Dense(1), as a functional model."""
    import mlkit
    from mlkit import layers

    inputs = mlkit.Input(shape=(_FEATURES,))
    hidden = inputs
    for _ in range(calls_per_step):
        hidden = layer(hidden)
    return mlkit.Model(inputs, layers.Dense(1)(hidden))


def _weights_from_losses(layer, x, rate):
    """The annealing weight of each loss the layer holds, from loss = weight * rate * mean(x ** 2)."""
    scale = rate * float(np.mean(np.square(x.astype("float64"))))
    return [float(np.asarray(getattr(loss, "data", loss))) / scale for loss in layer.losses]


def _penalty_layer(make_layer, optimizer):
    return new_layer(make_layer) if optimizer is None else new_layer(lambda: make_layer(optimizer))


def recorded_weights(make_layer, *, steps, rate, calls_per_step=1, bound_to_optimizer=False):
    """Train a model around the layer for `steps` steps; return the weights it used at each step
    (one list per step, one entry per call). With `bound_to_optimizer`, `make_layer(optimizer)`
    receives the optimizer the model is compiled with."""
    return _record(make_layer, steps, rate, calls_per_step, bound_to_optimizer)[0]


def _record(make_layer, steps, rate, calls_per_step, bound_to_optimizer):
    from mlkit import callbacks, optimizers

    optimizer = optimizers.SGD(learning_rate=0.0)
    layer = _penalty_layer(make_layer, optimizer if bound_to_optimizer else None)
    model = _model_around(layer, calls_per_step)
    model.compile(optimizer=optimizer, loss="mse")
    x, y = _data()
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(_weights_from_losses(layer, x, rate)))
    model.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0, callbacks=[record])
    return seen, layer


def _schedule(anneal_steps, steps, mistake=None):
    weights = []
    for step in range(steps):
        if mistake == "plus_one":
            step = step + 1
        if mistake == "integer":
            value = step // anneal_steps
        else:
            value = step / anneal_steps
        weights.append(value if mistake == "no_cap" else min(1.0, value))
    if mistake == "constant":
        weights = [0.0] * steps
    return weights


def check_annealing_during_fit(make_layer, *, anneal_steps, rate, steps, calls_per_step=1, bound_to_optimizer=False):
    """During fit, step s (counted from 0) adds weight * rate * mean(x ** 2) with
    weight = min(1, s / anneal_steps), the same for every call of the layer in that step."""
    seen, layer = _record(make_layer, steps, rate, calls_per_step, bound_to_optimizer)
    name = class_name(layer)
    _check_returns_inputs(layer)
    counts = [len(step) for step in seen]
    if counts != [calls_per_step] * steps:
        raise GradingFailure(
            f"how many losses {name} holds after each training step (the layer is called {calls_per_step} "
            "time(s) per step)", expected=[calls_per_step] * steps, got=counts,
            hint="add exactly one loss per call, with self.add_loss(...) inside call() (the layer clears its "
                 "losses at the start of every step).",
        )
    setting = f"{name}({'optimizer, ' if bound_to_optimizer else ''}anneal_steps={anneal_steps}, rate={rate})"
    source = "self.optimizer.iterations" if bound_to_optimizer else "self.training_step"
    if calls_per_step > 1:
        first, second = [step[0] for step in seen], [step[1] for step in seen]
        check_close(second, first, f"the annealing weights of the second call of {setting} in each training step, "
                                   "against those of the first call", rtol=1e-4, atol=1e-6,
                    hint="the two calls of one step use different weights: the layer counts its own calls "
                         f"(twice per step). Read {source}, which is the same for every call in a step.")
    expected = _schedule(anneal_steps, steps)
    got = [step[0] for step in seen]
    what = (f"the annealing weight of {setting} at training steps 0 to {steps - 1} (read back from the loss "
            "it adds: weight * rate * mean(inputs ** 2))")
    size = _data()[0].size
    mistakes = {
        f"one step ahead: at step s the weight is min(1, s / anneal_steps), s = {source} (0 during "
        "the first step). A `+ 1`, or a counter of your own advanced before it is read, is one step early":
            _schedule(anneal_steps, steps, "plus_one"),
        "integer division: use step / anneal_steps, not //": _schedule(anneal_steps, steps, "integer"),
        "the weight keeps growing: cap it with min(1.0, ...)": _schedule(anneal_steps, steps, "no_cap"),
        "the weight stays 0: read the step inside call(), at every call (not once, in __init__ or build)":
            _schedule(anneal_steps, steps, "constant"),
        "the penalty is summed: use the mean, rate * ops.mean(ops.square(inputs))": [w * size for w in expected],
        "rate is missing from the penalty: weight * rate * ops.mean(ops.square(inputs))": [w / rate for w in expected],
    }
    check_close(got, expected, what, rtol=1e-4, atol=1e-6, mistakes=mistakes)


def _any_optimizer():
    from mlkit import optimizers

    return optimizers.SGD()


def check_annealing_at_inference(make_layer, *, anneal_steps, rate, steps_done):
    """After `steps_done` training steps, evaluate() and predict() use the weight reached
    so far, min(1, steps_done / anneal_steps), leave it unchanged, and return the inputs."""
    from mlkit import optimizers

    layer = new_layer(make_layer)
    name = class_name(layer)
    model = _model_around(layer, 1)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    x, y = _data()
    model.fit(x, y, batch_size=len(x), epochs=steps_done, shuffle=False, verbose=0)
    expected = min(1.0, steps_done / anneal_steps)
    for attempt in ("a first evaluate()", "a second evaluate()", "predict()"):
        if attempt == "predict()":
            model.predict(x, batch_size=len(x), verbose=0)
        else:
            model.evaluate(x, y, batch_size=len(x), verbose=0)
        weights = _weights_from_losses(layer, x, rate)
        if len(weights) != 1:
            raise GradingFailure(f"how many losses {name} holds after {attempt}", expected=1, got=len(weights),
                                 hint="add exactly one loss per call, with self.add_loss(...) in call().")
        if not np.isclose(weights[0], expected, rtol=1e-4, atol=1e-6):
            raise GradingFailure(
                f"the annealing weight {name}(anneal_steps={anneal_steps}) uses in {attempt}, after "
                f"{steps_done} training steps", expected=expected, got=weights[0],
                hint="evaluate and predict are not training steps: the weight must stay where training left "
                     "it. A counter of the layer's own advances at every call; read self.training_step.",
            )
    _check_returns_inputs(layer)


def _check_returns_inputs(layer):
    x, _ = _data(seed=1)
    output = as_numpy(layer(x))
    if output.shape != x.shape or not np.allclose(output, x):
        raise GradingFailure(f"what {class_name(layer)} returns", expected="its inputs, unchanged",
                             got="something else", hint="the layer only adds a loss: return inputs.")


def check_penalty_gradient(make_layer, *, step):
    """The penalty is differentiable: backprop of the added loss (at training step `step`)
    with respect to the inputs matches finite differences."""
    import mlkit
    from mlkit import ops, optimizers
    from mlkit.grading.layer_computation import check_gradients

    with float64_layers():
        layer = new_layer(make_layer)
        model = mlkit.Sequential([mlkit.Input(shape=(_FEATURES,)), layer])
    model.compile(optimizer=optimizers.SGD(), loss="mse")
    model.optimizer.iterations.assign(step)
    x = np.random.default_rng(5).normal(size=(4, _FEATURES))

    def added_loss(inputs):
        model(inputs)
        if not model.losses:
            raise GradingFailure(f"the losses of {class_name(layer)} after a call", expected="one loss",
                                 got="none", hint="add the penalty with self.add_loss(...) in call().")
        return ops.add_n(list(model.losses))

    value = float(np.asarray(added_loss(ops.convert_to_tensor(x)).data))
    if value == 0.0:
        raise GradingFailure(
            f"the loss {class_name(layer)} adds at training step {step}", expected="a positive penalty",
            got=0.0, hint="read the step inside call() (self.training_step) at every call.",
        )
    check_gradients(added_loss, [x], f"the gradient of the penalty of {class_name(layer)} with respect to its inputs",
                    hint="compute the penalty with ops (ops.mean, ops.square), not NumPy, so the model can "
                         "learn to shrink its activations.")


def check_reads_the_optimizer(make_layer, *, anneal_steps, rate):
    """A layer bound to an optimizer reads `optimizer.iterations` at every call, also outside
    fit, and does not make the optimizer's counter a weight of its own."""
    from mlkit import optimizers

    optimizer = optimizers.SGD()
    layer = new_layer(lambda: make_layer(optimizer))
    name = class_name(layer)
    x, _ = _data()
    layer(x)
    if layer.weights:
        raise GradingFailure(
            f"the weights of {name}", expected="none", got=", ".join(v.name for v in layer.weights),
            hint="keep the optimizer (self.optimizer = optimizer) and read self.optimizer.iterations in call(); "
                 "a variable stored as an attribute (self.iterations = optimizer.iterations) becomes a weight "
                 "of the layer, saved with it and counted in its parameters.",
        )
    for step in (3, 2 * anneal_steps):
        optimizer.iterations.assign(step)
        layer(x)
        weights = _weights_from_losses(layer, x, rate)
        expected = min(1.0, step / anneal_steps)
        if len(weights) != 1 or not np.isclose(weights[0], expected, rtol=1e-4, atol=1e-6):
            raise GradingFailure(
                f"the annealing weight of {name}(optimizer, anneal_steps={anneal_steps}) called directly, after "
                f"optimizer.iterations.assign({step})", expected=expected, got=weights[0] if len(weights) == 1 else weights,
                hint="read the step from the optimizer at every call: self.optimizer.iterations (not "
                     "self.training_step, which is 0 outside a model, and not a value kept from __init__).",
            )
