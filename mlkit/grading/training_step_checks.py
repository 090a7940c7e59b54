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
weight. The losses travel as plain numbers (see probe_channel); the weights
are worked out from them where the check judges.

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
from mlkit.grading.models_training_observations import loss_values
from mlkit.grading.probe_channel import observing
from mlkit.utils.gradient_check import gradient_disagreement, gradients_both_ways

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


def _weights_from_losses(losses, x, rate):
    """The annealing weight of each loss (a number), from loss = weight * rate * mean(x ** 2)."""
    scale = rate * float(np.mean(np.square(x.astype("float64"))))
    return [float(loss) / scale for loss in losses]


def _penalty_layer(make_layer, optimizer):
    return new_layer(make_layer) if optimizer is None else new_layer(lambda: make_layer(optimizer))


def recorded_weights(make_layer, *, steps, rate, calls_per_step=1, bound_to_optimizer=False):
    """Train a model around the layer for `steps` steps; return the weights it used at each step
    (one list per step, one entry per call). With `bound_to_optimizer`, `make_layer(optimizer)`
    receives the optimizer the model is compiled with."""
    _, losses = _train_recording_losses(make_layer, steps, calls_per_step, bound_to_optimizer)
    return [_weights_from_losses(step, _data()[0], rate) for step in losses]


def _train_recording_losses(make_layer, steps, calls_per_step, bound_to_optimizer):
    """(the layer, the losses it held after each training step): fit for `steps` steps."""
    from mlkit import callbacks, optimizers

    optimizer = optimizers.SGD(learning_rate=0.0)
    layer = _penalty_layer(make_layer, optimizer if bound_to_optimizer else None)
    model = _model_around(layer, calls_per_step)
    model.compile(optimizer=optimizer, loss="mse")
    x, y = _data()
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(loss_values(layer)))
    model.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0, callbacks=[record])
    return layer, seen


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
    x = _data()[0]
    with observing("check_annealing_during_fit") as probe:
        trained = probe.handle(lambda: _train_recording_losses(make_layer, steps, calls_per_step,
                                                               bound_to_optimizer))  # (layer, losses)
        name = probe.value(lambda: class_name(trained[0]))
        losses = probe.value(lambda: trained[1])
        _check_returns_inputs(name, probe.value(lambda: _output_on_new_data(trained[0])))
        seen = [_weights_from_losses(step, x, rate) for step in losses]
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
        # Judged inside the block: check_close judges the weights read back here.
        if calls_per_step > 1:
            first, second = [step[0] for step in seen], [step[1] for step in seen]
            check_close(second, first, f"the annealing weights of the second call of {setting} in each training "
                                       "step, against those of the first call", rtol=1e-4, atol=1e-6,
                        hint="the two calls of one step use different weights: the layer counts its own calls "
                             f"(twice per step). Read {source}, which is the same for every call in a step.")
        expected = _schedule(anneal_steps, steps)
        got = [step[0] for step in seen]
        what = (f"the annealing weight of {setting} at training steps 0 to {steps - 1} (read back from the loss "
                "it adds: weight * rate * mean(inputs ** 2))")
        size = x.size
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


def _fitted_model(layer, steps_done):
    """A model around `layer`, trained `steps_done` steps (learning rate 0)."""
    from mlkit import optimizers

    model = _model_around(layer, 1)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse")
    x, y = _data()
    model.fit(x, y, batch_size=len(x), epochs=steps_done, shuffle=False, verbose=0)
    return model


def _run_at_inference(model, attempt):
    x, y = _data()
    if attempt == "predict()":
        model.predict(x, batch_size=len(x), verbose=0)
    else:
        model.evaluate(x, y, batch_size=len(x), verbose=0)


def check_annealing_at_inference(make_layer, *, anneal_steps, rate, steps_done):
    """After `steps_done` training steps, evaluate() and predict() use the weight reached
    so far, min(1, steps_done / anneal_steps), leave it unchanged, and return the inputs."""
    x = _data()[0]
    expected = min(1.0, steps_done / anneal_steps)
    with observing("check_annealing_at_inference") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        model = probe.handle(lambda: _fitted_model(layer, steps_done))
        for attempt in ("a first evaluate()", "a second evaluate()", "predict()"):
            probe.handle(lambda: _run_at_inference(model, attempt))
            weights = _weights_from_losses(probe.value(lambda: loss_values(layer)), x, rate)
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
        output = probe.value(lambda: _output_on_new_data(layer))
    _check_returns_inputs(name, output)


def _output_on_new_data(layer):
    return as_numpy(layer(_data(seed=1)[0]))


def _check_returns_inputs(name, output):
    """`output` (the layer's output on `_data(seed=1)`) is those inputs, unchanged."""
    x, _ = _data(seed=1)
    output = np.asarray(output)
    if output.shape != x.shape or not np.allclose(output, x):
        raise GradingFailure(f"what {name} returns", expected="its inputs, unchanged",
                             got="something else", hint="the layer only adds a loss: return inputs.")


def _penalty_model(make_layer, step):
    """(a float64 Sequential model holding only the layer, at training step `step`; the layer)."""
    import mlkit
    from mlkit import optimizers

    with float64_layers():
        layer = new_layer(make_layer)
        model = mlkit.Sequential([mlkit.Input(shape=(_FEATURES,)), layer])
    model.compile(optimizer=optimizers.SGD(), loss="mse")
    model.optimizer.iterations.assign(step)
    return model, layer


def _added_loss(model, inputs, name):
    """The sum of the losses the model holds after a call on `inputs`."""
    from mlkit import ops

    model(inputs)
    if not model.losses:
        raise GradingFailure(f"the losses of {name} after a call", expected="one loss",
                             got="none", hint="add the penalty with self.add_loss(...) in call().")
    return ops.add_n(list(model.losses))


def check_penalty_gradient(make_layer, *, step):
    """The penalty is differentiable: backprop of the added loss (at training step `step`)
    with respect to the inputs matches finite differences."""
    from mlkit import ops

    x = np.random.default_rng(5).normal(size=(4, _FEATURES))
    with observing("check_penalty_gradient") as probe:
        built = probe.handle(lambda: _penalty_model(make_layer, step))  # (model, layer)
        name = probe.value(lambda: class_name(built[1]))
        value = probe.value(lambda: float(np.asarray(_added_loss(built[0], ops.convert_to_tensor(x), name).data)))
        if value == 0.0:
            raise GradingFailure(
                f"the loss {name} adds at training step {step}", expected="a positive penalty",
                got=0.0, hint="read the step inside call() (self.training_step) at every call.",
            )
        pairs = probe.value(lambda: gradients_both_ways(lambda inputs: _added_loss(built[0], inputs, name), [x]))
    problem = gradient_disagreement(pairs)
    if problem is not None:
        raise GradingFailure(f"the gradient of the penalty of {name} with respect to its inputs",
                             problem=str(problem),
                             hint="compute the penalty with ops (ops.mean, ops.square), not NumPy, so the model can "
                                  "learn to shrink its activations.")


def check_reads_the_optimizer(make_layer, *, anneal_steps, rate):
    """A layer bound to an optimizer reads `optimizer.iterations` at every call, also outside
    fit, and does not make the optimizer's counter a weight of its own."""
    x, _ = _data()
    with observing("check_reads_the_optimizer") as probe:
        optimizer = probe.handle(_any_optimizer)
        layer = probe.handle(lambda: new_layer(lambda: make_layer(optimizer)))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: layer(x))
        weight_names = probe.value(lambda: [str(v.name) for v in layer.weights])
        if weight_names:
            raise GradingFailure(
                f"the weights of {name}", expected="none", got=", ".join(weight_names),
                hint="keep the optimizer (self.optimizer = optimizer) and read self.optimizer.iterations in call(); "
                     "a variable stored as an attribute (self.iterations = optimizer.iterations) becomes a weight "
                     "of the layer, saved with it and counted in its parameters.",
            )
        for step in (3, 2 * anneal_steps):
            probe.handle(lambda: optimizer.iterations.assign(step))
            probe.handle(lambda: layer(x))
            weights = _weights_from_losses(probe.value(lambda: loss_values(layer)), x, rate)
            expected = min(1.0, step / anneal_steps)
            if len(weights) != 1 or not np.isclose(weights[0], expected, rtol=1e-4, atol=1e-6):
                hint = ("read the step from the optimizer at every call: self.optimizer.iterations (not "
                        "self.training_step, which is 0 outside a model, and not a value kept from __init__).")
                if len(weights) == 1 and expected == 1.0 and weights[0] > 0:
                    hint = (f"once the annealing is done the penalty is {weights[0]:.4g} times rate * mean(inputs²), "
                            f"with rate={rate}: multiply by self.rate, the rate argument, and give it the "
                            "default the exercise asks for (rate=0.01).")
                raise GradingFailure(
                    f"the annealing weight of {name}(optimizer, anneal_steps={anneal_steps}) called directly, after "
                    f"optimizer.iterations.assign({step})", expected=expected,
                    got=weights[0] if len(weights) == 1 else weights, hint=hint,
                )
