"""Checks for notebook 05 (models and training): several inputs, subclassed models,
custom training steps and custom gradients.

The wrong answers they catch: kernels sized from the wrong input (or from a
middle axis), created frozen or with another initializer, outputs concatenated
in the wrong order or added; layers of a subclassed model created in `call`,
Dropout left on at inference, applied to the inputs or after the classifier,
or a hidden layer without its ReLU; a `train_step` that updates the wrong
variables (a frozen layer, or only some layers), applies the update twice,
keeps the last step's gradients (no `zero_grad`), reports a batch's loss
instead of the running mean, or measures the updated model; a custom gradient
that forgets the upstream gradient. Each check
observes the learner's objects through `observing` (see probe_channel: at
autograde the observations travel as plain data), then judges what it read.

    with grading.exercise("MultiInputLayer makes one kernel per input"):
        check_multi_input_weights(lambda: MultiInputLayer(8), [(4, 10), (4, 20)],
                                  expected=[("kernel1", (10, 8)), ("kernel2", (20, 8))])

A passing check says nothing; a failing one explains itself:

    >>> from mlkit import ops
    >>> check_custom_gradient(ops.tanh, np.zeros(3), np.ones(3), "the gradient of tanh at 0")
    >>> try:
    ...     check_custom_gradient(ops.tanh, np.zeros(3), np.zeros(3), "the gradient of tanh at 0")
    ... except GradingFailure as failure:
    ...     print(failure.checked)
    the gradient of tanh at 0: 3 of 3 values differ; the first at index (0,)
"""

from collections.abc import Mapping

import numpy as np

from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_building import new_layer_without_weights
from mlkit.grading.layer_computation import NOT_DIFFERENTIABLE_HINT, compare_output
from mlkit.grading.layer_helpers import (
    as_numpy, call_layer, class_name, described, float64_layers, layer_or_new, new_layer, sample_inputs,
    weights_text,
)
from mlkit.grading.models_training_observations import first_call_or_error, raise_again, same_weights
from mlkit.grading.probe_channel import RecordMismatch, observing, require_trusted
from mlkit.ops.autodiff import GradientTape
from mlkit.ops.tensor import Tensor
from mlkit.utils.gradient_check import gradient_disagreement, gradients_both_ways

_RANDOM_WEIGHTS_SEED = 7
_NOT_A_TENSOR_HINT = "compute with ops (ops.matmul, ops.concatenate), never NumPy, so gradients flow."


# -- a layer with several inputs ----------------------------------------------

def check_multi_input_weights(make_layer, input_shapes, expected):
    """A layer called on a list of inputs builds once, from the list of their shapes,
    and ends with the `expected` weights: a list of (name, shape), in order."""
    inputs = [sample_inputs(shape, seed=index) for index, shape in enumerate(input_shapes)]
    shapes_text = " and ".join(str(tuple(shape)) for shape in input_shapes)
    with observing("check_multi_input_weights") as probe:
        layer, name = new_layer_without_weights(probe, make_layer, hint=(
            "the kernels' shapes depend on the inputs: create them in build(self, input_shape), "
            "where input_shape is the list of the inputs' shapes."))
        builds = []
        probe.handle(lambda: _count_builds(layer, builds))
        error = []
        failed = probe.value(lambda: first_call_or_error(
            layer, inputs, f"the first call (on a list of inputs of shapes {shapes_text})", error))
        if failed:
            # A kernel of the wrong shape makes call() fail: name the kernel rather than the matmul.
            _check_kernel_shapes(name, probe.value(lambda: described(layer.weights)), expected, input_shapes,
                                 shapes_text)
            probe.handle(lambda: raise_again(error))
        if not probe.value(lambda: len(builds)):
            raise GradingFailure(
                f"the first call of {name}", expected="build(input_shape) to run", got="build never ran",
                hint="write the computation in call(); the base class's __call__ runs build once, then call.",
            )
        weights = probe.value(lambda: described(layer.weights))
        if not weights:
            raise GradingFailure(
                f"the weights of {name} after its first call", expected="one kernel per input",
                got="no weights", hint="create the kernels in build with self.add_weight(...).",
            )
        names = [weight_name for weight_name, _, _ in weights]
        expected_names = [weight_name for weight_name, _ in expected]
        expected_text = ", ".join(f"{n} {tuple(s)}" for n, s in expected)
        checked = f"the weights of {name} called on inputs of shapes {shapes_text} (layer.weights, in order)"
        if sorted(names) != sorted(expected_names):
            missing = [n for n in expected_names if n not in names]
            raise GradingFailure(
                checked, expected=expected_text, got=weights_text(weights),
                hint=f"create one kernel per input, named as the exercise asks: "
                     f"self.add_weight(..., name={missing[0]!r})." if missing else
                     "only the weights the exercise asks for, each created once.",
            )
        if names != expected_names:
            raise GradingFailure(
                checked, expected=expected_text, got=weights_text(weights),
                hint=f"layer.weights lists the weights in the order add_weight created them: create "
                     f"{expected_names[0]} first.",
            )
        _check_kernel_shapes(name, weights, expected, input_shapes, shapes_text)
        frozen = [weight_name for weight_name, _, trainable in weights if not trainable]
        if frozen:
            raise GradingFailure(
                f"which weights of {name} are trainable", expected="every kernel",
                got=f"{', '.join(frozen)} not trainable",
                hint="the kernels are learned: create them trainable (add_weight's default; "
                     "trainable=False is for state the layer updates itself).",
            )
        _check_glorot_uniform(name, probe.value(lambda: {str(v.name): v.numpy() for v in layer.weights}))
        first_weights = probe.handle(lambda: list(layer.weights))
        probe.handle(lambda: call_layer(layer, inputs, "the second call"))
        kept = probe.value(lambda: same_weights(layer.weights, first_weights))
        after = probe.value(lambda: described(layer.weights))
    if kept is not True:
        raise GradingFailure(
            f"the weights of {name} after a second call", expected=weights_text(weights),
            got=f"new weight objects: {weights_text(after)}",
            hint="create the kernels once, in build; call() should only use them.",
        )


def _check_glorot_uniform(name, values):
    """Each kernel holds what 'glorot_uniform' draws: values within its limit,
    sqrt(6 / (fan_in + fan_out)), and spread over it (not zeros, ones, or one repeated value)."""
    if not isinstance(values, dict):
        raise RecordMismatch("the values of the weights")
    for weight_name, value in values.items():
        value = np.asarray(value, dtype="float64")
        if value.ndim != 2 or value.size < 8:
            continue
        limit = np.sqrt(6.0 / sum(value.shape))
        if np.abs(value).max() > limit * (1 + 1e-5) or value.std() < limit / 4:
            raise GradingFailure(
                f"the initial values of {weight_name} of a new {name}",
                expected=f"random values between -{limit:.3g} and {limit:.3g} ('glorot_uniform')",
                got=f"values from {value.min():.3g} to {value.max():.3g}",
                hint="give add_weight initializer='glorot_uniform' (the initializer the exercise asks for): "
                     "kernels of zeros or ones start every unit alike, and they learn alike.",
            )


def _count_builds(layer, builds):
    """Make `layer.build` note each time it runs in `builds`."""
    build = layer.build

    def recording_build(shape):
        builds.append(None)
        return build(shape)

    layer.build = recording_build


def _check_kernel_shapes(name, weights, expected, input_shapes, shapes_text):
    """Each weight named in `expected` has its expected shape (weights with other names are skipped).
    `weights` are `described` weights."""
    shapes = {weight_name: tuple(shape) for weight_name, shape, _ in weights}
    for index, (weight_name, shape) in enumerate(expected):
        if weight_name in shapes and shapes[weight_name] != tuple(shape):
            raise GradingFailure(
                f"the shape of weight {weight_name!r} of {name} for inputs of shapes {shapes_text}",
                expected=tuple(shape), got=shapes[weight_name],
                hint=_kernel_shape_hint(index, shapes[weight_name], tuple(shape), input_shapes),
            )


def _kernel_shape_hint(index, got, expected, input_shapes):
    own = tuple(input_shapes[index])
    others = [(k, tuple(s)) for k, s in enumerate(input_shapes) if k != index]
    if len(got) == 2 and got[1] != expected[1]:
        return "the second size of each kernel is units: shape (features of its input, self.units)."
    for other, shape in others:
        if got[0] == shape[-1] and got[0] != own[-1]:
            return (f"kernel{index + 1} is sized from input {other + 1}; kernel{index + 1} multiplies input "
                    f"{index + 1}, so its shape is (input_shape[{index}][-1], self.units).")
    if got and got[0] in own[:-1]:
        return (f"the size comes from a middle axis of input {index + 1}; the features are on the last "
                f"axis: use input_shape[{index}][-1].")
    return None


def check_multi_input_output(layer, inputs, expected, *, mistakes=None, rtol=1e-4, atol=1e-5):
    """The layer's output on the list `inputs` equals `expected(inputs, weights)`.

    The weights are set to random values first; `weights` maps each weight's
    name to its value; `mistakes` maps a description of a plausible wrong answer
    to a function computing it the same way.
    """
    xs = [np.asarray(x, dtype="float32") for x in inputs]
    shapes_text = " and ".join(str(x.shape) for x in xs)
    with observing("check_multi_input_output") as probe:
        layer = probe.handle(lambda: layer_or_new(layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, xs, "the first call"))
        probe.handle(lambda: _randomize(layer.weights))
        weights = probe.value(lambda: {str(variable.name): variable.numpy() for variable in layer.weights})
        got = probe.value(lambda: as_numpy(call_layer(layer, xs, "a call")))
        # Judged inside the block: check_close in compare_output then judges these values.
        weights = {key: np.asarray(value) for key, value in weights.items()}
        compare_output(name, np.asarray(got), xs, weights, expected, mistakes, rtol, atol,
                       checked=f"the output of {name} for inputs of shapes {shapes_text}", weights_called="kernels")


def _randomize(variables, scale=1.0):
    rng = np.random.default_rng(_RANDOM_WEIGHTS_SEED)
    for variable in variables:
        variable.assign((scale * rng.normal(size=variable.shape)).astype(variable.dtype))


def check_multi_input_gradients(make_layer, input_shapes):
    """Backprop through a layer with several inputs matches finite differences, for every
    input and every trainable weight (the layer is made in float64)."""
    xs = [sample_inputs(shape, seed=3 + index, dtype="float64") for index, shape in enumerate(input_shapes)]
    with observing("check_multi_input_gradients") as probe:
        layer = probe.handle(lambda: _new_float64_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        outputs = probe.handle(lambda: call_layer(layer, xs, "the first call"))
        returned = probe.value(lambda: None if isinstance(outputs, Tensor) else type(outputs).__name__)
        if returned is not None:
            raise GradingFailure(
                f"what {name}.call returns", expected="a tensor computed with mlkit.ops",
                got=f"a {returned}", hint=_NOT_A_TENSOR_HINT,
            )
        pairs = probe.value(lambda: gradients_both_ways(lambda *tensors: layer(list(tensors)),
                                                        xs + list(layer.trainable_weights)))
    problem = gradient_disagreement(pairs)
    if problem is not None:
        raise GradingFailure(f"the gradients of {name} (every input and every kernel)", problem=str(problem),
                             hint=NOT_DIFFERENTIABLE_HINT)


def _new_float64_layer(make_layer):
    with float64_layers():
        return new_layer(make_layer)


# -- a subclassed model -----------------------------------------------------------

def check_layers_created_once(make_model, inputs):
    """A subclassed model keeps the same layers and weights from call to call."""
    x = np.asarray(inputs, dtype="float32")
    with observing("check_layers_created_once") as probe:
        model = probe.handle(lambda: new_layer(make_model))
        name = probe.value(lambda: class_name(model))
        probe.handle(lambda: call_layer(model, x, "the first call"))
        first = probe.value(lambda: described(model.weights))
        if not first:
            raise GradingFailure(
                f"the weights of {name} after its first call", expected="the weights of its layers",
                got="no weights",
                hint="create the layers in __init__ and keep them as attributes (self.hidden = "
                     "layers.Dense(...)): a layer made inside call() is not part of the model.",
            )
        first_weights = probe.handle(lambda: list(model.weights))
        probe.handle(lambda: call_layer(model, x, "the second call"))
        kept = probe.value(lambda: same_weights(model.weights, first_weights))
        after = probe.value(lambda: described(model.weights))
    if kept is not True:
        raise GradingFailure(
            f"the weights of {name} after a second call", expected=f"the same weights: {weights_text(first)}",
            got=f"new weight objects: {weights_text(after)}",
            hint="the layers are created again on every call, so they start from new random weights "
                 "and never learn: create them once, in __init__, and only use them in call().",
        )


def check_dropout_follows_training(make_model, inputs, *, in_order=False):
    """Dropout is active when the model is called with training=True, and off otherwise;
    with `in_order`, it also sits between the hidden layer (ReLU) and the classifier."""
    x = np.asarray(inputs, dtype="float32")
    with observing("check_dropout_follows_training") as probe:
        model = probe.handle(lambda: new_layer(make_model))
        name = probe.value(lambda: class_name(model))
        first = probe.value(lambda: as_numpy(call_layer(model, x, "a call with training=False", training=False)))
        weights = probe.handle(lambda: list(model.weights))
        second = probe.value(lambda: as_numpy(call_layer(model, x, "a second call with training=False",
                                                         training=False)))
        if probe.value(lambda: same_weights(model.weights, weights)) is not True:
            raise GradingFailure(
                f"the weights of {name} after a second call", expected="the same weights",
                got="new weight objects",
                hint="the layers are created again on every call: create them once, in __init__, "
                     "and only use them in call().",
            )
        default = probe.value(lambda: as_numpy(call_layer(model, x, "a call without `training`")))
        if not _same_values(first, second):
            raise GradingFailure(
                f"two calls of {name} with training=False on the same inputs", expected="the same outputs",
                got="different outputs",
                hint="Dropout is active at inference: don't force it on with training=True; pass the "
                     "model's own flag: self.dropout(x, training=training).",
            )
        if not _same_values(first, default):
            raise GradingFailure(
                f"{name}(x) against {name}(x, training=False)", expected="the same outputs (inference by default)",
                got="different outputs",
                hint="give call a `training=False` default and pass it on to the Dropout layer.",
            )
        trained = probe.value(lambda: as_numpy(call_layer(model, x, "a call with training=True", training=True)))
    if _same_values(first, trained):
        raise GradingFailure(
            f"{name}(x, training=True) against {name}(x, training=False)",
            expected="different outputs (Dropout zeroes random units while training)",
            got="the same outputs",
            hint="Dropout never acts: call self.dropout between the two Dense layers, and pass "
                 "training=training (not training=False).",
        )
    if in_order:
        _check_layer_order(make_model, inputs)


def _same_values(first, second):
    first, second = np.asarray(first), np.asarray(second)
    return first.shape == second.shape and bool(np.allclose(first, second))


def _check_layer_order(make_model, inputs):
    """In a training call, the hidden Dense layer reads the inputs, Dropout the hidden
    layer's outputs (non-negative: ReLU), and the classifier what Dropout returns."""
    x = np.asarray(inputs, dtype="float32")
    with observing("_check_layer_order") as probe:
        model = probe.handle(lambda: new_layer(make_model))
        name = probe.value(lambda: class_name(model))
        calls = probe.value(lambda: _sublayer_calls(model, x))
    if not (isinstance(calls, list) and all(
            isinstance(call, tuple) and len(call) == 3 and isinstance(call[0], str)
            and isinstance(call[1], int) and isinstance(call[2], float) for call in calls)):
        raise RecordMismatch("the calls of the model's layers")
    kinds = [kind for kind, _, _ in calls]
    if "Dropout" not in kinds:
        return  # Dropout left out: check_dropout_follows_training says so
    position = kinds.index("Dropout")
    _, features, smallest = calls[position]
    checked = f"what the Dropout layer of {name} receives in a training call on inputs of shape {x.shape}"
    if position == 0:
        raise GradingFailure(checked, expected="the hidden layer's outputs", got="the model's inputs",
                             hint="Dropout is applied to the inputs: apply it to the hidden layer's outputs, "
                                  "between the two Dense layers.")
    if position == len(calls) - 1 and len(calls) > 2:
        raise GradingFailure(checked, expected="the hidden layer's outputs", got="the classifier's probabilities",
                             hint="Dropout is applied after the classifier, so it zeroes probabilities while "
                                  "training: put it between the hidden layer and the classifier.")
    if smallest < 0:
        raise GradingFailure(checked, expected="the outputs of a ReLU (no negative values)",
                             got=f"negative values (down to {smallest:.3g})",
                             hint="the hidden layer has no activation, so the model is linear until the "
                                  "softmax: layers.Dense(hidden_units, activation='relu').")


def _sublayer_calls(model, x):
    """In the learner's kernel: [(class name, size of the last axis, smallest value)] of the input
    each layer of `model` receives, in the order of a training call (after a first call builds it)."""
    call_layer(model, x, "the first call")
    calls = []

    def recording(layer):
        call = layer.call

        def recorded_call(inputs, *args, **kwargs):
            values = as_numpy(inputs)
            calls.append((type(layer).__name__, int(values.shape[-1]), float(values.min())))
            return call(inputs, *args, **kwargs)

        return recorded_call

    sublayers = list(model.layers)
    for layer in sublayers:
        object.__setattr__(layer, "call", recording(layer))
    try:
        call_layer(model, x, "a call with training=True", training=True)
    finally:
        for layer in sublayers:
            layer.__dict__.pop("call", None)
    return calls


# -- a custom training step ---------------------------------------------------------

def _prepare(make_model, x, learning_rate):
    from mlkit import optimizers

    model = new_layer(make_model)
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate))
    call_layer(model, np.asarray(x, dtype="float32"), "the first call")
    _randomize(model.weights, scale=0.5)
    return model


def _reference_gradients(model, x, y):
    """Gradients of the mean squared error for each of model.weights (None for those not trained),
    computed by a tape of the grader's, independent of train_step."""
    from mlkit import losses

    with GradientTape() as tape:
        loss = losses.MeanSquaredError()(y, model(x, training=True))
    variables = model.trainable_variables
    gradients = dict(zip(map(id, variables), tape.gradient(loss, variables)))
    return [None if gradients.get(id(v)) is None else as_numpy(gradients[id(v)]) for v in model.weights]


def _iterations(model):
    return int(np.asarray(model.optimizer.iterations.data))


def check_train_step_update(make_model, x, y, *, learning_rate=0.1, freeze=None):
    """Each of two `model.train_step((x, y))` with SGD changes every trainable variable by
    -learning_rate * gradient of the mean squared error (at its weights of that moment),
    nothing else, and advances `optimizer.iterations` by one.

    `freeze`: the name of a layer attribute to freeze first (its weights must not move).
    """
    x, y = np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")
    with observing("check_train_step_update") as probe:
        model = probe.handle(lambda: _prepare(make_model, x, learning_rate))
        name = probe.value(lambda: class_name(model))
        if freeze is not None:
            probe.handle(lambda: setattr(getattr(model, freeze), "trainable", False))
        variables = probe.handle(lambda: list(model.weights))
        paths = probe.value(lambda: [str(v.path) for v in variables])
        steps = []
        for _ in range(2):
            start = probe.value(lambda: [v.numpy().copy() for v in variables])
            gradients = probe.value(lambda: _reference_gradients(model, x, y))
            iterations_before = probe.value(lambda: _iterations(model))
            probe.handle(lambda: model.train_step((x, y)))
            iterations_after = probe.value(lambda: _iterations(model))
            end = probe.value(lambda: [v.numpy() for v in variables])
            steps.append((start, gradients, iterations_after - iterations_before, end))
    previous_gradients = None
    for number, (start, gradients, iterations, end) in enumerate(steps, start=1):
        what = (f"{'one' if number == 1 else 'a second'} {name}.train_step((x, y)) with "
                f"SGD(learning_rate={learning_rate})")
        _judge_update(name, what, paths, learning_rate, [np.asarray(value) for value in start], gradients,
                      iterations, [np.asarray(value) for value in end], previous_gradients)
        previous_gradients = gradients


def _judge_update(name, what, paths, learning_rate, start, gradients, iterations, end, previous_gradients):
    """One training step moved every trainable weight by -learning_rate * its gradient, once."""
    moved = [not np.allclose(after, before, atol=1e-7) for before, after in zip(start, end)]
    if not any(moved):
        raise GradingFailure(
            f"the weights of {name} after {what}", expected="every trainable weight updated",
            got="no weight changed",
            hint="run the forward pass and the loss inside `with mlkit.GradientTape() as tape:`, then "
                 "gradients = tape.gradient(loss, self.trainable_variables) and "
                 "self.optimizer.apply(gradients, self.trainable_variables).",
        )
    if iterations != 1:
        raise GradingFailure(
            f"how far model.optimizer.iterations advanced in {what}", expected=1, got=iterations,
            hint="apply the gradients exactly once per step: one call of self.optimizer.apply(...)."
            if iterations > 1 else "update the weights with self.optimizer.apply(gradients, variables), "
                                   "which also counts the step.",
        )
    for index, (path, before, after, gradient, has_moved) in enumerate(
            zip(paths, start, end, gradients, moved, strict=True)):
        if gradient is None:
            if has_moved:
                raise GradingFailure(
                    f"weight {path!r} (of a frozen layer) after {what}", expected="unchanged",
                    got="updated",
                    hint="update only self.trainable_variables: self.weights (or self.variables) also "
                         "holds the weights of frozen layers, which must not learn.",
                )
            continue
        step = -learning_rate * np.asarray(gradient)
        got_step = after - before
        if np.allclose(got_step, step, rtol=1e-3, atol=1e-6):
            continue
        earlier = None if previous_gradients is None else previous_gradients[index]
        if not has_moved:
            hint = ("this weight was not updated: take the gradients of the loss with respect to every "
                    "variable in self.trainable_variables, and apply them all.")
        elif np.allclose(got_step, 2 * step, rtol=1e-3, atol=1e-6):
            hint = "the update was applied twice: call self.optimizer.apply once per step."
        elif earlier is not None and np.allclose(
                got_step, step - learning_rate * np.asarray(earlier), rtol=1e-3, atol=1e-6):
            hint = ("the second step also applies the first step's gradients: loss.backward() adds to "
                    "each variable's .grad, so clear them first in every step, with self.zero_grad().")
        else:
            hint = ("the update is not one step down the gradient of the mean squared error: compute "
                    "loss = self.loss_fn(y, y_pred) from y_pred = self(x, training=True), inside the tape, "
                    "and take tape.gradient(loss, self.trainable_variables).")
        raise GradingFailure(
            f"the change of weight {path!r} in {what}",
            expected=f"-learning_rate * gradient, which starts {_first_values(step)}",
            got=f"a change that starts {_first_values(got_step)}",
            hint=hint,
        )


def _first_values(array, count=3):
    return "[" + ", ".join(f"{value:.4g}" for value in np.ravel(array)[:count]) + ", ...]"


def check_train_step_metrics(make_model, batches):
    """train_step returns {"loss", "mae"}: running means over the batches since the
    metrics were reset (checked with a learning rate of 0, so the values are known);
    the model lists both trackers in `metrics`, and `fit` logs them per epoch. Last,
    with a learning rate, the metrics are those of the predictions made before the update."""
    batches = [(np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")) for x, y in batches]
    with observing("check_train_step_metrics") as probe:
        model = probe.handle(lambda: _prepare(make_model, batches[0][0], 0.0))
        name = probe.value(lambda: class_name(model))
        predictions = [probe.value(lambda: as_numpy(model(x))) for x, _ in batches]
        batch_losses, batch_maes = _batch_losses_and_maes(batches, predictions)
        probe.handle(lambda: model.reset_metrics())
        for index, batch in enumerate(batches):
            logs = probe.handle(lambda: model.train_step(batch))
            checked = f"what {name}.train_step returns after {index + 1} step(s) on new metrics"
            is_mapping, kind = probe.value(lambda: (isinstance(logs, Mapping), type(logs).__name__))
            if is_mapping is not True:
                raise GradingFailure(checked, expected='a dict {"loss": ..., "mae": ...}', got=f"a {kind}",
                                     hint='return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}.')
            keys = probe.value(lambda: list(logs))
            missing = [key for key in ("loss", "mae") if key not in keys]
            if missing:
                raise GradingFailure(checked, expected='the keys "loss" and "mae"', got=f"the keys {keys}",
                                     hint='return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}.')
            for key, values, tracker in (("loss", batch_losses, "loss_tracker"), ("mae", batch_maes, "mae_metric")):
                got, kind = probe.value(lambda: _logged_number(logs[key]))
                if not isinstance(got, float):
                    raise GradingFailure(f'{checked}: logs["{key}"]', expected="a number", got=f"a {kind}",
                                         hint=f"return the metric's value, self.{tracker}.result(), not the metric.")
                _judge_running_mean(got, values, index, key, tracker, checked)
        listed = probe.value(lambda: [getattr(m, "name", type(m).__name__) for m in model.metrics])
        tracked = probe.value(lambda: [any(m is getattr(model, tracker) for m in model.metrics)
                                       for tracker in ("loss_tracker", "mae_metric")])
        for tracker, is_listed in zip(("loss_tracker", "mae_metric"), tracked):
            if is_listed is not True:
                raise GradingFailure(
                    f"{name}.metrics", expected=f"a list holding self.{tracker}",
                    got=f"[{', '.join(str(metric) for metric in listed)}]",
                    hint="return [self.loss_tracker, self.mae_metric] from the metrics property: fit() "
                         "resets the metrics listed there at the start of every epoch.",
                )
        x_all = np.concatenate([x for x, _ in batches])
        y_all = np.concatenate([y for _, y in batches])
        history = probe.handle(lambda: model.fit(x_all, y_all, batch_size=len(batches[0][0]), epochs=2,
                                                 shuffle=False, verbose=0))
        logged = probe.value(lambda: {key: history.history.get(key) for key in ("loss", "mae")})
    for key, values in (("loss", batch_losses), ("mae", batch_maes)):
        expected = [float(np.mean(values))] * 2
        if not _close_lists(logged.get(key), expected):
            raise GradingFailure(
                f'history.history["{key}"] after fit(epochs=2) (learning rate 0, so every epoch is the same)',
                expected=expected, got=logged.get(key),
                hint="each epoch must report the mean over that epoch's batches: list both trackers in "
                     "the metrics property, so that fit resets them at the start of every epoch.",
            )
    _check_metrics_of_the_step(make_model, *batches[0])


def _check_metrics_of_the_step(make_model, x, y, learning_rate=0.1):
    """With a learning rate, one train_step reports the loss and MAE of the predictions its
    gradients came from (made before the update), not of the updated model."""
    x, y = np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")
    with observing("_check_metrics_of_the_step") as probe:
        model = probe.handle(lambda: _prepare(make_model, x, learning_rate))
        name = probe.value(lambda: class_name(model))
        before = probe.value(lambda: as_numpy(model(x)))
        probe.handle(lambda: model.reset_metrics())
        logs = probe.handle(lambda: model.train_step((x, y)))
        logged = probe.value(lambda: [_logged_number(logs[key])[0] for key in ("loss", "mae")])
        after = probe.value(lambda: as_numpy(model(x)))
    (loss_before,), (mae_before,) = _batch_losses_and_maes([(x, y)], [before])
    (loss_after,), (mae_after,) = _batch_losses_and_maes([(x, y)], [after])
    for key, got, want, late in (("loss", logged[0], loss_before, loss_after),
                                 ("mae", logged[1], mae_before, mae_after)):
        if isinstance(got, float) and np.isclose(got, want, rtol=1e-4, atol=1e-6):
            continue
        hint = None
        if isinstance(got, float) and np.isclose(got, late, rtol=1e-4, atol=1e-6):
            hint = ("the metrics are computed after the optimizer step, on the updated model: update them with "
                    "the loss and y_pred of this step's forward pass, the ones the gradients came from.")
        raise GradingFailure(
            f'logs["{key}"] of one {name}.train_step with SGD(learning_rate={learning_rate}), on new metrics',
            expected=want, got=got, hint=hint)


def _batch_losses_and_maes(batches, predictions):
    """The mean squared error and mean absolute error of each batch's predictions (the grader's own)."""
    from mlkit import losses

    mse = losses.MeanSquaredError()
    batch_losses = [float(np.asarray(mse(y, np.asarray(p)).data)) for (_, y), p in zip(batches, predictions)]
    batch_maes = [float(np.mean(np.abs(np.asarray(p) - y))) for (_, y), p in zip(batches, predictions)]
    return batch_losses, batch_maes


def _logged_number(value):
    """(the logged value as a float, or None when it is not a number; the name of its type)."""
    try:
        return float(np.asarray(getattr(value, "data", value))), type(value).__name__
    except (TypeError, ValueError):
        return None, type(value).__name__


def _judge_running_mean(got, values, index, key, tracker, checked):
    running = float(np.mean(values[:index + 1]))
    if np.isclose(got, running, rtol=1e-4, atol=1e-6):
        return
    if np.isclose(got, values[index], rtol=1e-4, atol=1e-6):
        hint = (f"this is the last batch's value, not the running mean: update self.{tracker} "
                f"every step and return self.{tracker}.result().")
    elif got == 0:
        hint = f"self.{tracker} is never updated: call its update_state(...) in train_step."
    elif np.isclose(got, 2 * running, rtol=1e-4):
        hint = f"self.{tracker} is updated twice per step."
    else:
        hint = (f"update self.{tracker} with this step's "
                + ("loss: self.loss_tracker.update_state(loss)." if key == "loss" else
                   "targets and predictions: self.mae_metric.update_state(y, y_pred)."))
    raise GradingFailure(f'{checked}: logs["{key}"]', expected=running, got=got, hint=hint)


def _close_lists(logged, expected):
    """`logged` (a list of numbers, as fit logged them) is close to `expected`."""
    try:
        logged = np.asarray(logged, dtype=float)
    except (TypeError, ValueError):
        return False
    return logged.shape == (len(expected),) and bool(np.allclose(logged, expected, rtol=1e-4, atol=1e-6))


# -- a custom gradient --------------------------------------------------------------

def check_custom_gradient(function, x, expected_gradient, checked, *, upstream=None, mistakes=None, hint=None):
    """The gradient of sum(function(x) * upstream) with respect to x equals `expected_gradient`
    (computed by backprop; `upstream` defaults to ones)."""
    require_trusted(expected_gradient, mistakes, upstream)
    with observing("check_custom_gradient") as probe:
        returned, gradient = probe.value(lambda: _backprop(function, x, upstream))
        if returned is not None:
            raise GradingFailure(
                f"what the function returns for {checked}", expected="a tensor",
                got=f"a {returned}",
                hint="the decorated function returns (output, grad): the caller gets the output "
                     "tensor. Compute it with ops, not NumPy.",
            )
        if gradient is None:
            raise GradingFailure(
                checked, expected="a gradient for the input", got="no gradient (None)",
                hint="the output does not depend on the input through ops: decorate with "
                     "@ops.custom_gradient and return (output, grad).",
            )
        # Judged inside the block: check_close judges the gradient read back, not a new one.
        check_close(gradient, expected_gradient, checked, rtol=1e-4, atol=1e-6, mistakes=mistakes, hint=hint)


def _backprop(function, x, upstream):
    """(None, the gradient of sum(function(x) * upstream) with respect to x, or None), or
    (the name of the type function returned, None) when it is not a tensor."""
    from mlkit import ops

    value = Tensor(np.array(x))
    with GradientTape() as tape:
        tape.watch(value)
        output = function(value)
        if not isinstance(output, Tensor):
            return type(output).__name__, None
        weights = np.ones_like(np.asarray(output.data)) if upstream is None else np.asarray(upstream)
        target = ops.sum(output * weights)
    return None, tape.gradient(target, value)
