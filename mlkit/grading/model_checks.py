"""Checks for notebook 05 (models and training): several inputs, subclassed models,
custom training steps and custom gradients.

The wrong answers they catch: kernels sized from the wrong input (or from a
middle axis), outputs concatenated in the wrong order or added; layers of a
subclassed model created in `call`, or Dropout left on at inference; a
`train_step` that updates the wrong variables (a frozen layer, or only some
layers), applies the update twice, or reports a batch's loss instead of the
running mean; a custom gradient that forgets the upstream gradient.

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
from mlkit.grading.layer_computation import check_gradients, compare_output
from mlkit.grading.layer_helpers import (
    as_numpy, call_layer, class_name, float64_layers, layer_or_new, new_layer, sample_inputs, weights_text,
)
from mlkit.ops.autodiff import GradientTape
from mlkit.ops.tensor import Tensor

_RANDOM_WEIGHTS_SEED = 7


# -- a layer with several inputs ----------------------------------------------

def check_multi_input_weights(make_layer, input_shapes, expected):
    """A layer called on a list of inputs builds once, from the list of their shapes,
    and ends with the `expected` weights: a list of (name, shape), in order."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    if layer.weights:
        raise GradingFailure(
            f"a new {name}, before its first call",
            expected="no weights yet (build() creates them on the first call)",
            got=f"{len(layer.weights)} weights already: {weights_text(layer.weights)}",
            hint="the kernels' shapes depend on the inputs: create them in build(self, input_shape), "
                 "where input_shape is the list of the inputs' shapes.",
        )
    seen_shapes = []
    build = layer.build

    def recording_build(shape):
        seen_shapes.append(shape)
        return build(shape)

    layer.build = recording_build
    inputs = [sample_inputs(shape, seed=index) for index, shape in enumerate(input_shapes)]
    shapes_text = " and ".join(str(tuple(shape)) for shape in input_shapes)
    try:
        call_layer(layer, inputs, f"the first call (on a list of inputs of shapes {shapes_text})")
    except Exception:
        # A kernel of the wrong shape makes call() fail: name the kernel rather than the matmul.
        _check_kernel_shapes(layer, expected, input_shapes, shapes_text)
        raise
    if not seen_shapes:
        raise GradingFailure(
            f"the first call of {name}", expected="build(input_shape) to run", got="build never ran",
            hint="write the computation in call(); the base class's __call__ runs build once, then call.",
        )
    if not layer.weights:
        raise GradingFailure(
            f"the weights of {name} after its first call", expected="one kernel per input",
            got="no weights", hint="create the kernels in build with self.add_weight(...).",
        )
    names = [variable.name for variable in layer.weights]
    expected_names = [weight_name for weight_name, _ in expected]
    expected_text = ", ".join(f"{n} {tuple(s)}" for n, s in expected)
    checked = f"the weights of {name} called on inputs of shapes {shapes_text} (layer.weights, in order)"
    if sorted(names) != sorted(expected_names):
        missing = [n for n in expected_names if n not in names]
        raise GradingFailure(
            checked, expected=expected_text, got=weights_text(layer.weights),
            hint=f"create one kernel per input, named as the exercise asks: "
                 f"self.add_weight(..., name={missing[0]!r})." if missing else
                 "only the weights the exercise asks for, each created once.",
        )
    if names != expected_names:
        raise GradingFailure(
            checked, expected=expected_text, got=weights_text(layer.weights),
            hint=f"layer.weights lists the weights in the order add_weight created them: create "
                 f"{expected_names[0]} first.",
        )
    _check_kernel_shapes(layer, expected, input_shapes, shapes_text)
    before = list(layer.weights)
    call_layer(layer, inputs, "the second call")
    if len(layer.weights) != len(before) or any(a is not b for a, b in zip(layer.weights, before)):
        raise GradingFailure(
            f"the weights of {name} after a second call", expected=weights_text(before),
            got=f"new weight objects: {weights_text(layer.weights)}",
            hint="create the kernels once, in build; call() should only use them.",
        )


def _check_kernel_shapes(layer, expected, input_shapes, shapes_text):
    """Each weight named in `expected` has its expected shape (weights with other names are skipped)."""
    by_name = {variable.name: variable for variable in layer.weights}
    for index, (weight_name, shape) in enumerate(expected):
        variable = by_name.get(weight_name)
        if variable is not None and tuple(variable.shape) != tuple(shape):
            raise GradingFailure(
                f"the shape of weight {weight_name!r} of {class_name(layer)} for inputs of shapes {shapes_text}",
                expected=tuple(shape), got=tuple(variable.shape),
                hint=_kernel_shape_hint(index, tuple(variable.shape), tuple(shape), input_shapes),
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
    layer = layer_or_new(layer)
    name = class_name(layer)
    xs = [np.asarray(x, dtype="float32") for x in inputs]
    shapes_text = " and ".join(str(x.shape) for x in xs)
    call_layer(layer, xs, "the first call")
    rng = np.random.default_rng(_RANDOM_WEIGHTS_SEED)
    for variable in layer.weights:
        variable.assign(rng.normal(size=variable.shape).astype(variable.dtype))
    weights = {variable.name: variable.numpy() for variable in layer.weights}
    got = as_numpy(call_layer(layer, xs, "a call"))
    compare_output(name, got, xs, weights, expected, mistakes, rtol, atol,
                   checked=f"the output of {name} for inputs of shapes {shapes_text}", weights_called="kernels")


def check_multi_input_gradients(make_layer, input_shapes):
    """Backprop through a layer with several inputs matches finite differences, for every
    input and every trainable weight (the layer is made in float64)."""
    with float64_layers():
        layer = new_layer(make_layer)
    name = class_name(layer)
    xs = [sample_inputs(shape, seed=3 + index, dtype="float64") for index, shape in enumerate(input_shapes)]
    outputs = call_layer(layer, xs, "the first call")
    if not isinstance(outputs, Tensor):
        raise GradingFailure(
            f"what {name}.call returns", expected="a tensor computed with mlkit.ops",
            got=f"a {type(outputs).__name__}",
            hint="compute with ops (ops.matmul, ops.concatenate), never NumPy, so gradients flow.",
        )
    check_gradients(lambda *tensors: layer(list(tensors)), xs + list(layer.trainable_weights),
                    f"the gradients of {name} (every input and every kernel)")


# -- a subclassed model -----------------------------------------------------------

def check_layers_created_once(make_model, inputs):
    """A subclassed model keeps the same layers and weights from call to call."""
    model = new_layer(make_model)
    name = class_name(model)
    x = np.asarray(inputs, dtype="float32")
    call_layer(model, x, "the first call")
    first = list(model.weights)
    if not first:
        raise GradingFailure(
            f"the weights of {name} after its first call", expected="the weights of its layers",
            got="no weights",
            hint="create the layers in __init__ and keep them as attributes (self.hidden = "
                 "layers.Dense(...)): a layer made inside call() is not part of the model.",
        )
    call_layer(model, x, "the second call")
    if len(model.weights) != len(first) or any(a is not b for a, b in zip(model.weights, first)):
        raise GradingFailure(
            f"the weights of {name} after a second call", expected=f"the same weights: {weights_text(first)}",
            got=f"new weight objects: {weights_text(model.weights)}",
            hint="the layers are created again on every call, so they start from new random weights "
                 "and never learn: create them once, in __init__, and only use them in call().",
        )


def check_dropout_follows_training(make_model, inputs):
    """Dropout is active when the model is called with training=True, and off otherwise."""
    model = new_layer(make_model)
    name = class_name(model)
    x = np.asarray(inputs, dtype="float32")
    first = as_numpy(call_layer(model, x, "a call with training=False", training=False))
    weights = list(model.weights)
    second = as_numpy(call_layer(model, x, "a second call with training=False", training=False))
    if len(model.weights) != len(weights) or any(a is not b for a, b in zip(model.weights, weights)):
        raise GradingFailure(
            f"the weights of {name} after a second call", expected="the same weights",
            got="new weight objects",
            hint="the layers are created again on every call: create them once, in __init__, "
                 "and only use them in call().",
        )
    default = as_numpy(call_layer(model, x, "a call without `training`"))
    if not np.allclose(first, second):
        raise GradingFailure(
            f"two calls of {name} with training=False on the same inputs", expected="the same outputs",
            got="different outputs",
            hint="Dropout is active at inference: don't force it on with training=True; pass the "
                 "model's own flag: self.dropout(x, training=training).",
        )
    if not np.allclose(first, default):
        raise GradingFailure(
            f"{name}(x) against {name}(x, training=False)", expected="the same outputs (inference by default)",
            got="different outputs",
            hint="give call a `training=False` default and pass it on to the Dropout layer.",
        )
    trained = as_numpy(call_layer(model, x, "a call with training=True", training=True))
    if np.allclose(first, trained):
        raise GradingFailure(
            f"{name}(x, training=True) against {name}(x, training=False)",
            expected="different outputs (Dropout zeroes random units while training)",
            got="the same outputs",
            hint="Dropout never acts: call self.dropout between the two Dense layers, and pass "
                 "training=training (not training=False).",
        )


# -- a custom training step ---------------------------------------------------------

def _prepare(make_model, x, learning_rate):
    from mlkit import optimizers

    model = new_layer(make_model)
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate))
    call_layer(model, np.asarray(x, dtype="float32"), "the first call")
    rng = np.random.default_rng(_RANDOM_WEIGHTS_SEED)
    for variable in model.weights:
        variable.assign((0.5 * rng.normal(size=variable.shape)).astype(variable.dtype))
    return model


def _reference_gradients(model, x, y):
    """Gradients of the mean squared error for model.trainable_variables (independent of train_step)."""
    from mlkit import losses

    with GradientTape() as tape:
        loss = losses.MeanSquaredError()(y, model(x, training=True))
    variables = model.trainable_variables
    return float(np.asarray(loss.data)), dict(zip(map(id, variables), tape.gradient(loss, variables)))


def check_train_step_update(make_model, x, y, *, learning_rate=0.1, freeze=None):
    """One `model.train_step((x, y))` with SGD changes every trainable variable by
    -learning_rate * gradient of the mean squared error, nothing else, and
    advances `optimizer.iterations` by one.

    `freeze`: the name of a layer attribute to freeze first (its weights must not move).
    """
    model = _prepare(make_model, x, learning_rate)
    name = class_name(model)
    if freeze is not None:
        getattr(model, freeze).trainable = False
    x, y = np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")
    start = {id(v): v.numpy().copy() for v in model.weights}
    _, gradients = _reference_gradients(model, x, y)
    steps_before = int(np.asarray(model.optimizer.iterations.data))
    model.train_step((x, y))
    steps = int(np.asarray(model.optimizer.iterations.data)) - steps_before

    what = f"one {name}.train_step((x, y)) with SGD(learning_rate={learning_rate})"
    moved = {id(v): not np.allclose(v.numpy(), start[id(v)], atol=1e-7) for v in model.weights}
    if not any(moved.values()):
        raise GradingFailure(
            f"the weights of {name} after {what}", expected="every trainable weight updated",
            got="no weight changed",
            hint="run the forward pass and the loss inside `with mlkit.GradientTape() as tape:`, then "
                 "gradients = tape.gradient(loss, self.trainable_variables) and "
                 "self.optimizer.apply(gradients, self.trainable_variables).",
        )
    if steps != 1:
        raise GradingFailure(
            f"how far model.optimizer.iterations advanced in {what}", expected=1, got=steps,
            hint="apply the gradients exactly once per step: one call of self.optimizer.apply(...)."
            if steps > 1 else "update the weights with self.optimizer.apply(gradients, variables), "
                              "which also counts the step.",
        )
    for variable in model.weights:
        before = start[id(variable)]
        gradient = gradients.get(id(variable))
        if gradient is None:
            if moved[id(variable)]:
                raise GradingFailure(
                    f"weight {variable.path!r} (of a frozen layer) after {what}", expected="unchanged",
                    got="updated",
                    hint="update only self.trainable_variables: self.weights (or self.variables) also "
                         "holds the weights of frozen layers, which must not learn.",
                )
            continue
        step = -learning_rate * np.asarray(gradient.data)
        got_step = variable.numpy() - before
        if np.allclose(got_step, step, rtol=1e-3, atol=1e-6):
            continue
        if not moved[id(variable)]:
            hint = ("this weight was not updated: take the gradients of the loss with respect to every "
                    "variable in self.trainable_variables, and apply them all.")
        elif np.allclose(got_step, 2 * step, rtol=1e-3, atol=1e-6):
            hint = "the update was applied twice: call self.optimizer.apply once per step."
        else:
            hint = ("the update is not one step down the gradient of the mean squared error: compute "
                    "loss = self.loss_fn(y, y_pred) from y_pred = self(x, training=True), inside the tape, "
                    "and take tape.gradient(loss, self.trainable_variables).")
        raise GradingFailure(
            f"the change of weight {variable.path!r} in {what}",
            expected=f"-learning_rate * gradient, which starts {_first_values(step)}",
            got=f"a change that starts {_first_values(got_step)}",
            hint=hint,
        )


def _first_values(array, count=3):
    return "[" + ", ".join(f"{value:.4g}" for value in np.ravel(array)[:count]) + ", ...]"


def check_train_step_metrics(make_model, batches):
    """train_step returns {"loss", "mae"}: running means over the batches since the
    metrics were reset (checked with a learning rate of 0, so the values are known);
    the model lists both trackers in `metrics`, and `fit` logs them per epoch."""
    from mlkit import losses, metrics

    batches = [(np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")) for x, y in batches]
    model = _prepare(make_model, batches[0][0], 0.0)
    name = class_name(model)
    mse, mae = losses.MeanSquaredError(), metrics.MeanAbsoluteError()
    batch_losses, batch_maes = [], []
    for x, y in batches:
        prediction = model(x)
        batch_losses.append(float(np.asarray(mse(y, prediction).data)))
        batch_maes.append(float(np.mean(np.abs(as_numpy(prediction) - y))))
    model.reset_metrics()
    for index, batch in enumerate(batches):
        logs = model.train_step(batch)
        checked = f"what {name}.train_step returns after {index + 1} step(s) on new metrics"
        if not isinstance(logs, Mapping):
            raise GradingFailure(checked, expected='a dict {"loss": ..., "mae": ...}', got=f"a {type(logs).__name__}",
                                 hint='return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}.')
        missing = [key for key in ("loss", "mae") if key not in logs]
        if missing:
            raise GradingFailure(checked, expected='the keys "loss" and "mae"', got=f"the keys {list(logs)}",
                                 hint='return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}.')
        for key, values, tracker in (("loss", batch_losses, "loss_tracker"), ("mae", batch_maes, "mae_metric")):
            running = float(np.mean(values[:index + 1]))
            try:
                got = float(np.asarray(getattr(logs[key], "data", logs[key])))
            except (TypeError, ValueError):
                raise GradingFailure(f'{checked}: logs["{key}"]', expected="a number",
                                     got=f"a {type(logs[key]).__name__}",
                                     hint=f"return the metric's value, self.{tracker}.result(), not the metric.") from None
            if np.isclose(got, running, rtol=1e-4, atol=1e-6):
                continue
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
    listed = model.metrics
    for tracker in ("loss_tracker", "mae_metric"):
        if not any(metric is getattr(model, tracker) for metric in listed):
            raise GradingFailure(
                f"{name}.metrics", expected=f"a list holding self.{tracker}",
                got=f"[{', '.join(getattr(m, 'name', type(m).__name__) for m in listed)}]",
                hint="return [self.loss_tracker, self.mae_metric] from the metrics property: fit() "
                     "resets the metrics listed there at the start of every epoch.",
            )
    x_all = np.concatenate([x for x, _ in batches])
    y_all = np.concatenate([y for _, y in batches])
    history = model.fit(x_all, y_all, batch_size=len(batches[0][0]), epochs=2, shuffle=False, verbose=0)
    for key, values in (("loss", batch_losses), ("mae", batch_maes)):
        logged = history.history.get(key)
        expected = [float(np.mean(values))] * 2
        if logged is None or not np.allclose(logged, expected, rtol=1e-4, atol=1e-6):
            raise GradingFailure(
                f'history.history["{key}"] after fit(epochs=2) (learning rate 0, so every epoch is the same)',
                expected=expected, got=logged,
                hint="each epoch must report the mean over that epoch's batches: list both trackers in "
                     "the metrics property, so that fit resets them at the start of every epoch.",
            )


# -- a custom gradient --------------------------------------------------------------

def check_custom_gradient(function, x, expected_gradient, checked, *, upstream=None, mistakes=None, hint=None):
    """The gradient of sum(function(x) * upstream) with respect to x equals `expected_gradient`
    (computed by backprop; `upstream` defaults to ones)."""
    from mlkit import ops

    value = Tensor(np.array(x))
    with GradientTape() as tape:
        tape.watch(value)
        output = function(value)
        if not isinstance(output, Tensor):
            raise GradingFailure(
                f"what the function returns for {checked}", expected="a tensor",
                got=f"a {type(output).__name__}",
                hint="the decorated function returns (output, grad): the caller gets the output "
                     "tensor. Compute it with ops, not NumPy.",
            )
        weights = np.ones_like(np.asarray(output.data)) if upstream is None else np.asarray(upstream)
        target = ops.sum(output * weights)
    gradient = tape.gradient(target, value)
    if gradient is None:
        raise GradingFailure(
            checked, expected="a gradient for the input", got="no gradient (None)",
            hint="the output does not depend on the input through ops: decorate with "
                 "@ops.custom_gradient and return (output, grad).",
        )
    check_close(gradient, expected_gradient, checked, rtol=1e-4, atol=1e-6, mistakes=mistakes, hint=hint)
