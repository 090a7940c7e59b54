"""Checks for notebook 08 (standard layers from the inside): Dropout, BatchNormalization
and a recurrent cell written by the learner.

The wrong answers they catch: Dropout active at inference, kept values not
scaled (or scaled by `1 - rate`), the keep/drop test reversed, one random
number for the whole batch, masks that ignore the seed or repeat on every
call; batch statistics that leave `mlkit.ops` (so no gradient flows through
them), the unbiased variance, the momentum applied the wrong way round,
moving statistics updated at inference or by a frozen layer; a recurrent
cell that ignores its state, forgets the activation or the bias, or returns
more than one state.

    with grading.exercise("MyDropout scales what it keeps"):
        check_dropout_training(lambda: MyDropout(0.3), rate=0.3)

A passing check says nothing; a failing one explains itself:

    >>> from mlkit import layers
    >>> check_dropout_training(lambda: layers.Dropout(0.3, seed=1), rate=0.3)
    >>> try:
    ...     check_dropout_inference(lambda: layers.Dropout(0.3), rate=0.3)
    ...     check_dropout_training(lambda: layers.Identity(), rate=0.3)
    ... except GradingFailure as failure:
    ...     print(failure.hint)
    nothing was dropped. Give call a `training` parameter (`def call(self, inputs, training=False):`) and drop values when it is true.
"""

import numpy as np

from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import as_numpy, call_layer, class_name, new_layer, sample_inputs
from mlkit.ops.autodiff import GradientTape
from mlkit.ops.core import convert_to_tensor
from mlkit.ops.math import sum as reduce_sum

_WEIGHTS_SEED = 7


# -- Dropout -------------------------------------------------------------------------

def check_dropout_inference(make_layer, rate, input_shape=(4, 6)):
    """Outputs equal inputs when called without `training`, with `training=False`,
    and inside `predict` of a model."""
    from mlkit.layers import Input
    from mlkit.models import Sequential

    layer = new_layer(make_layer)
    name = class_name(layer)
    x = sample_inputs(input_shape, seed=5)
    hint = ("Dropout is active at inference. Drop values only when training is true: "
            "`if not training: return inputs` first thing in call(self, inputs, training=False).")
    for during, kwargs in [("a call without `training`", {}), ("a call with training=False", {"training": False})]:
        got = as_numpy(call_layer(layer, x, during, **kwargs))
        check_close(got, x, f"{name}({rate}) on inputs of shape {x.shape}, {during}", hint=hint)
    model = Sequential([Input(shape=input_shape[1:]), new_layer(make_layer)])
    check_close(model.predict(x, verbose=0), x, f"model.predict(x) of a model holding {name}({rate})", hint=hint)


def check_dropout_training(make_layer, rate, input_shape=(100, 100)):
    """With `training=True`: a fraction `rate` of zeros (one random draw per value) and the
    kept values multiplied by 1 / (1 - rate), so that the expected value is unchanged."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    # Inputs in [1, 2): no zero among them, so every zero in the output was dropped.
    x = (1.0 + np.random.default_rng(11).random(input_shape)).astype("float32")
    calls = [as_numpy(call_layer(layer, x, "a call with training=True", training=True)) for _ in range(4)]
    checked = f"{name}({rate})(x, training=True) on inputs of shape {x.shape}"
    if any(got.shape != x.shape for got in calls):
        raise GradingFailure(f"{checked}: the shape", expected=x.shape,
                             got=next(got.shape for got in calls if got.shape != x.shape),
                             hint="multiply the inputs by a mask of the same shape.")
    fractions = [float((got == 0).mean()) for got in calls]
    if all(fraction == 0 for fraction in fractions):
        raise GradingFailure(
            f"{checked}: the fraction of values set to 0", expected=f"about {rate}", got=0,
            hint="nothing was dropped. Give call a `training` parameter "
                 "(`def call(self, inputs, training=False):`) and drop values when it is true.",
        )
    if all(fraction in (0.0, 1.0) for fraction in fractions):
        raise GradingFailure(
            f"{checked}, called 4 times: the fraction of values set to 0",
            expected=f"about {rate} each time", got=", ".join(f"{fraction:g}" for fraction in fractions),
            hint="one random number decides for the whole batch: draw one per value, with the shape "
                 "of the inputs: random.uniform(ops.shape(inputs), seed=...).",
        )
    got = calls[0]
    dropped = got == 0
    fraction = fractions[0]
    if set(np.unique(dropped.mean(axis=1))) <= {0.0, 1.0}:
        raise GradingFailure(
            f"{checked}: the values dropped in each example (row)", expected="some of them",
            got="all or none",
            hint="one random number decides for each example: draw one per value, with the full shape "
                 "of the inputs: random.uniform(ops.shape(inputs), seed=...).",
        )
    if abs(fraction - (1 - rate)) < 0.03 and abs(fraction - rate) > 0.03:
        raise GradingFailure(
            f"{checked}: the fraction of values set to 0", expected=f"about {rate}", got=round(fraction, 3),
            hint="the test is reversed: a value is DROPPED with probability rate. Keep it where the "
                 "uniform draw is >= rate (keep = draw >= rate), drop it where draw < rate.",
        )
    if abs(fraction - rate) > 0.03:
        raise GradingFailure(
            f"{checked}: the fraction of values set to 0", expected=f"about {rate}", got=round(fraction, 3),
            hint="each value must be dropped with probability rate: keep = random.uniform(shape) >= rate.",
        )
    factors = got[~dropped] / x[~dropped]
    wanted = 1.0 / (1.0 - rate)
    if not np.allclose(factors, wanted, rtol=1e-5):
        known = {
            1.0: "the kept values are not scaled. Divide them by (1 - rate), so that the expected value "
                 "of every output equals its input (\"inverted dropout\").",
            1.0 - rate: "the kept values are multiplied by (1 - rate): divide by (1 - rate) instead.",
            1.0 / rate: "the kept values are divided by rate: divide by (1 - rate), the probability of keeping.",
        }
        hint = next((text for factor, text in known.items() if np.allclose(factors, factor, rtol=1e-5)),
                    "multiply the kept values by 1 / (1 - rate), nothing else.")
        check_close(factors, np.full_like(factors, wanted), f"{checked}: each kept value divided by its input",
                    rtol=1e-5, hint=hint)


def check_dropout_gradient(make_layer, rate, input_shape=(8, 10)):
    """The gradient of sum(outputs) with respect to the inputs is the scaled mask itself."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    x = convert_to_tensor((1.0 + np.random.default_rng(12).random(input_shape)).astype("float32"))
    with GradientTape() as tape:
        tape.watch(x)
        outputs = call_layer(layer, x, "a call with training=True", training=True)
        total = reduce_sum(outputs)
    hint = ("the mask must multiply the inputs with ops (ops.multiply or *), on the tensor itself: "
            "inputs.numpy() or np.* functions leave the graph, so no gradient reaches the inputs.")
    try:
        gradient = tape.gradient(total, x)
    except Exception as error:
        raise GradingFailure(f"the gradient of sum({name}(x, training=True)) with respect to x",
                             expected="a gradient", got=f"{type(error).__name__}: {error}", hint=hint) from None
    if gradient is None:
        raise GradingFailure(f"the gradient of sum({name}(x, training=True)) with respect to x",
                             expected="the mask / (1 - rate)", got="None (no gradient reaches x)", hint=hint)
    mask = as_numpy(outputs) / as_numpy(x)
    check_close(gradient, mask, f"the gradient of sum({name}(x, training=True)) with respect to x",
                rtol=1e-4, hint="the gradient flows only through the kept values, scaled like them: "
                                "outputs = inputs * mask / (1 - rate), computed with ops.")


def check_dropout_seeding(make_layer, input_shape=(6, 20)):
    """`make_layer(seed)`: the same seed gives the same sequence of masks, each call a new mask,
    and a different seed other masks."""
    x = np.ones(input_shape, dtype="float32")
    first_layer, twin = new_layer(make_layer, seed=42), new_layer(make_layer, seed=42)
    name = class_name(first_layer)

    def masks(layer, calls=2):
        return [as_numpy(call_layer(layer, x, "a call with training=True", training=True)) != 0 for _ in range(calls)]

    mine, twins = masks(first_layer), masks(twin)
    if not np.array_equal(mine[0], twins[0]):
        raise GradingFailure(
            f"the first masks of two {name}(0.5, seed=42) layers on the same inputs",
            expected="the same values dropped", got="different values dropped",
            hint="the seed is not used, so the masks cannot be reproduced. In __init__, create "
                 "self.seed_generator = random.SeedGenerator(seed), and draw with "
                 "random.uniform(..., seed=self.seed_generator) (not np.random).",
        )
    if np.array_equal(mine[0], mine[1]):
        raise GradingFailure(
            f"two calls of the same {name}(0.5, seed=42) with training=True",
            expected="a new mask on every call", got="the same mask twice",
            hint="the random draw starts from the same seed on every call (an int seed, or a "
                 "SeedGenerator created inside call). Create the SeedGenerator once, in __init__, and "
                 "pass it to random.uniform: it moves on with every draw.",
        )
    if not np.array_equal(mine[1], twins[1]):
        raise GradingFailure(
            f"the second masks of two {name}(0.5, seed=42) layers", expected="the same values dropped",
            got="different values dropped",
            hint="draw every mask from the layer's own SeedGenerator (created in __init__ from seed).",
        )
    other = masks(new_layer(make_layer, seed=7), calls=1)
    if np.array_equal(mine[0], other[0]):
        raise GradingFailure(
            f"the first masks of {name}(0.5, seed=42) and {name}(0.5, seed=7)",
            expected="different masks", got="the same mask",
            hint="the seed is ignored: create the SeedGenerator from the seed argument.",
        )


# -- BatchNormalization ----------------------------------------------------------------

def _moments(x, biased=True):
    axes = tuple(range(x.ndim - 1))
    return x.mean(axis=axes), x.var(axis=axes, ddof=0 if biased else 1)


def batch_norm_mistakes(epsilon):
    """Plausible wrong outputs of a batch-norm layer in training mode, by description."""

    def normalized(x, w, mean, variance, eps=epsilon, inside=True):
        spread = np.sqrt(variance + eps) if inside else np.sqrt(variance) + eps
        return w["gamma"] * (x - mean) / spread + w["beta"]

    return {
        "the variance is the unbiased one (divided by n - 1); batch normalization uses the batch's "
        "own variance, divided by n: ops.var(inputs, axis=axes) or ops.mean(ops.square(inputs - mean), axis=axes).":
            lambda x, w: normalized(x, w, *_moments(x, biased=False)),
        "the moving statistics are used in training mode: with training=True, normalize with the "
        "mean and variance of this batch.":
            lambda x, w: normalized(x, w, w["moving_mean"], w["moving_variance"]),
        "gamma and beta are not applied: return gamma * normalized + beta.":
            lambda x, w: normalized(x, {"gamma": 1.0, "beta": 0.0}, *_moments(x)),
        "epsilon is added outside the square root: divide by ops.sqrt(variance + epsilon).":
            lambda x, w: normalized(x, w, *_moments(x), inside=False),
        "the statistics are taken over the batch axis only: for images (batch, height, width, "
        "channels) average over every axis but the last, axis=tuple(range(len(inputs.shape) - 1)).":
            lambda x, w: normalized(x, w, x.mean(axis=0), x.var(axis=0)),
        "the statistics are taken over the channels (last axis) instead of over the batch: "
        "average over every axis but the last.":
            lambda x, w: normalized(x, w, x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)),
    }


def _randomize(layer, seed=_WEIGHTS_SEED):
    """Random gamma/beta (and moving statistics, the variance kept positive); {name: value}."""
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        if variable.name == "moving_variance":
            value = rng.uniform(0.5, 2.0, size=variable.shape)
        elif variable.name == "gamma":
            value = rng.uniform(0.5, 1.5, size=variable.shape) * rng.choice([-1, 1], size=variable.shape)
        else:
            value = rng.normal(size=variable.shape)
        variable.assign(value.astype(variable.dtype))
    return {variable.name: variable.numpy() for variable in layer.weights}


def _weights_by_name(layer, names):
    weights = {variable.name: variable for variable in layer.weights}
    missing = [name for name in names if name not in weights]
    if missing:
        raise GradingFailure(
            f"the weights of {class_name(layer)}", expected=", ".join(names),
            got=", ".join(weights) or "no weights",
            hint=f"create them in build with self.add_weight(..., name={missing[0]!r}).",
        )
    return weights


_BATCH_NORM_WEIGHTS = ("gamma", "beta", "moving_mean", "moving_variance")


def check_batch_norm_training_output(make_layer, inputs, *, epsilon=1e-3):
    """`layer(x, training=True)` = gamma * (x - batch mean) / sqrt(batch variance + epsilon) + beta,
    per channel (the last axis), with random gamma, beta and moving statistics."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    x = np.asarray(inputs, dtype="float32")
    call_layer(layer, x, "the first call")
    _weights_by_name(layer, _BATCH_NORM_WEIGHTS)
    weights = _randomize(layer)
    got = as_numpy(call_layer(layer, x, "a call with training=True", training=True))
    mean, variance = _moments(x.astype("float64"))
    expected = weights["gamma"] * (x - mean) / np.sqrt(variance + epsilon) + weights["beta"]
    _compare(got, expected, x, weights, batch_norm_mistakes(epsilon),
             f"the output of {name}(x, training=True) for x of shape {x.shape} (gamma, beta and the moving "
             "statistics set to random values)")


def check_batch_norm_inference_output(make_layer, inputs, *, epsilon=1e-3):
    """Without `training` and with `training=False`: the moving statistics, not the batch's."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    x = np.asarray(inputs, dtype="float32")
    call_layer(layer, x, "the first call")
    _weights_by_name(layer, _BATCH_NORM_WEIGHTS)
    weights = _randomize(layer)
    expected = (weights["gamma"] * (x - weights["moving_mean"]) / np.sqrt(weights["moving_variance"] + epsilon)
                + weights["beta"])
    mistakes = {
        "the batch statistics are used at inference: unless training is true, normalize with "
        "moving_mean and moving_variance.":
            lambda x, w: w["gamma"] * (x - _moments(x)[0]) / np.sqrt(_moments(x)[1] + epsilon) + w["beta"],
        "epsilon is added outside the square root: ops.sqrt(moving_variance + epsilon).":
            lambda x, w: w["gamma"] * (x - w["moving_mean"]) / (np.sqrt(w["moving_variance"]) + epsilon) + w["beta"],
        "gamma and beta are not applied at inference: return gamma * normalized + beta.":
            lambda x, w: (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + epsilon),
    }
    for during, kwargs in [("without `training`", {}), ("with training=False", {"training": False})]:
        got = as_numpy(call_layer(layer, x, f"a call {during}", **kwargs))
        _compare(got, expected, x, weights, mistakes,
                 f"the output of {name}(x) {during}, for x of shape {x.shape} (gamma, beta and the moving "
                 "statistics set to random values)")


def _compare(got, expected, x, weights, mistakes, checked):
    if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-4):
        return
    hint = None
    for description, wrong in mistakes.items():
        candidate = np.asarray(wrong(x.astype("float64"), weights))
        if candidate.shape == got.shape and np.allclose(got, candidate, rtol=1e-4, atol=1e-4):
            hint = description
            break
    check_close(got, expected, checked, rtol=1e-4, atol=1e-4, hint=hint)


def check_moving_statistics_update(make_layer, inputs, *, momentum=0.99):
    """After training calls, moving = moving * momentum + batch statistic * (1 - momentum),
    with the biased batch variance — from the initial zeros and ones, then once more."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    batches = [np.asarray(inputs, dtype="float32"), 2.0 * np.asarray(inputs, dtype="float32") + 1.0]
    call_layer(layer, batches[0], "the first call", training=False)
    weights = _weights_by_name(layer, ("moving_mean", "moving_variance"))
    moving_mean, moving_variance = weights["moving_mean"], weights["moving_variance"]
    if not (np.allclose(moving_mean.numpy(), 0) and np.allclose(moving_variance.numpy(), 1)):
        raise GradingFailure(
            f"moving_mean and moving_variance of a new {name}",
            expected="zeros and ones (their initializers)",
            got=f"{moving_mean.numpy()} and {moving_variance.numpy()}",
            hint="initialize moving_mean with 'zeros' and moving_variance with 'ones', and don't change "
                 "them when training is false.",
        )
    previous = (np.zeros(moving_mean.shape), np.ones(moving_variance.shape))
    for number, batch in enumerate(batches, start=1):
        call_layer(layer, batch, f"training call {number}", training=True)
        mean, variance = _moments(batch.astype("float64"))
        unbiased = _moments(batch.astype("float64"), biased=False)[1]
        want_mean = previous[0] * momentum + mean * (1 - momentum)
        want_variance = previous[1] * momentum + variance * (1 - momentum)
        when = "one training call" if number == 1 else "a second training call"
        check_close(
            moving_mean, want_mean, f"moving_mean of {name}(momentum={momentum}) after {when}",
            rtol=1e-4, atol=1e-5,
            hint="moving_mean must stay unchanged in the training call: only `assign` changes it"
            if np.allclose(moving_mean.numpy(), previous[0]) else None,
            mistakes={
                "the momentum is applied the wrong way round: the OLD value keeps the share "
                "momentum: moving_mean * momentum + batch_mean * (1 - momentum).":
                    previous[0] * (1 - momentum) + mean * momentum,
                "the moving mean is replaced by the batch mean: blend them, "
                "moving_mean * momentum + batch_mean * (1 - momentum).": mean,
                "moving_mean was not updated: in a training call, assign "
                "moving_mean * momentum + batch_mean * (1 - momentum).": previous[0],
                **({"the momentum argument is ignored (0.99 is written in call): use self.momentum.":
                    previous[0] * 0.99 + mean * 0.01} if momentum != 0.99 else {}),
            },
        )
        check_close(
            moving_variance, want_variance, f"moving_variance of {name}(momentum={momentum}) after {when}",
            rtol=1e-4, atol=1e-5,
            mistakes={
                "the momentum is applied the wrong way round: moving_variance * momentum + "
                "batch_variance * (1 - momentum).": previous[1] * (1 - momentum) + variance * momentum,
                "the unbiased variance (divided by n - 1) is used; batch normalization uses the batch's "
                "own variance, divided by n.": previous[1] * momentum + unbiased * (1 - momentum),
                "the moving variance is replaced by the batch variance: blend them with momentum.": variance,
                "the standard deviation is averaged instead of the variance.":
                    previous[1] * momentum + np.sqrt(variance) * (1 - momentum),
                "moving_variance was not updated: in a training call, assign "
                "moving_variance * momentum + batch_variance * (1 - momentum).": previous[1],
            },
        )
        previous = (want_mean, want_variance)


def check_frozen_batch_norm(make_layer, inputs):
    """A layer with trainable=False runs in inference mode even with training=True
    (Keras 3's rule): the moving statistics are used and stay unchanged."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    x = np.asarray(inputs, dtype="float32")
    call_layer(layer, x, "the first call", training=False)
    weights = _weights_by_name(layer, _BATCH_NORM_WEIGHTS)
    statistics = [weights["moving_mean"], weights["moving_variance"]]
    initial = [v.numpy().copy() for v in statistics]
    call_layer(layer, x, "a training call", training=True)
    if all(np.array_equal(v.numpy(), value) for v, value in zip(statistics, initial)):
        raise GradingFailure(
            f"the moving statistics of {name} (not frozen) after a call with training=True",
            expected="updated", got="unchanged",
            hint="the moving statistics are not updated in training calls (see the test of the moving "
                 "statistics): this test needs that first.",
        )
    _randomize(layer)
    layer.trainable = False
    before = [v.numpy().copy() for v in statistics]
    hint = ("a frozen batch normalization runs in inference mode (Keras 3's rule): use the batch "
            "statistics and update the moving ones only `if training and self.trainable:`.")
    frozen = as_numpy(call_layer(layer, x, "a call with training=True after layer.trainable = False", training=True))
    changed = [v.name for v, value in zip(statistics, before) if not np.array_equal(v.numpy(), value)]
    if changed:
        raise GradingFailure(
            f"{', '.join(changed)} of a frozen {name} (trainable=False) after a call with training=True",
            expected="unchanged", got="updated", hint=hint,
        )
    inference = as_numpy(call_layer(layer, x, "a call with training=False", training=False))
    check_close(frozen, inference,
                f"the output of a frozen {name} called with training=True, against its output with training=False",
                rtol=1e-4, atol=1e-5, hint=hint)
    layer.trainable = True
    call_layer(layer, x, "a training call after layer.trainable = True again", training=True)
    if all(np.array_equal(v.numpy(), value) for v, value in zip(statistics, before)):
        raise GradingFailure(
            f"the moving statistics of {name} unfrozen again (trainable=True), after a call with training=True",
            expected="updated", got="unchanged",
            hint="read self.trainable when call runs (don't store it in __init__): unfreezing must "
                 "bring the training behaviour back.",
        )


def check_frozen_in_fit(make_layer, input_shape, *, epochs=2):
    """Inside `fit`, a frozen batch-norm layer keeps its moving statistics and its gamma and beta."""
    from mlkit.layers import Input
    from mlkit.models import Sequential
    from mlkit.optimizers import SGD

    layer = new_layer(make_layer)
    name = class_name(layer)
    x = sample_inputs(input_shape, seed=4) * 3.0 + 2.0
    call_layer(layer, x, "a first training call", training=True)
    layer.trainable = False
    before = {v.name: v.numpy().copy() for v in layer.weights}
    model = Sequential([Input(shape=tuple(input_shape[1:])), layer])
    model.compile(optimizer=SGD(0.1), loss="mse")
    model.fit(x, np.zeros_like(x), epochs=epochs, batch_size=len(x), verbose=0)
    changed = [v.name for v in layer.weights if not np.array_equal(v.numpy(), before[v.name])]
    if changed:
        raise GradingFailure(
            f"the weights of a frozen {name} (layer.trainable = False) after {epochs} epochs of fit()",
            expected="all unchanged", got=f"{', '.join(changed)} changed",
            hint="fit() calls the layer with training=True; a frozen batch normalization must then run "
                 "in inference mode: `if training and self.trainable:`.",
        )


def check_weights_kept(make_layer, input_shape):
    """The same weight objects after training calls: created once in build, never in call
    (their values may change: the moving statistics do)."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    x = sample_inputs(input_shape, seed=13)
    call_layer(layer, x, "the first call", training=True)
    first = list(layer.weights)
    call_layer(layer, x, "a second call", training=True)
    if len(layer.weights) != len(first) or any(a is not b for a, b in zip(layer.weights, first)):
        raise GradingFailure(
            f"the weights of {name} after a second call", expected="the same weight objects",
            got="new weight objects",
            hint="weights are created again on every call: create them once, in build, and update the "
                 "moving statistics with assign.",
        )


# -- a recurrent cell ------------------------------------------------------------------

def check_cell_step(make_cell, input_dim, units, expected, *, mistakes=None, batch=3):
    """One step: `output, new_states = cell(x_t, [h])`; output = expected(x, h, weights) and
    new_states is the output, alone or in a list (the weights set to random values)."""
    cell = new_layer(make_cell)
    name = class_name(cell)
    state_size = getattr(cell, "state_size", None)
    if state_size != units:
        raise GradingFailure(
            f"{name}({units}).state_size", expected=units, got=state_size,
            hint="set self.state_size = units in __init__: the RNN layer reads it to create the "
                 "first state (zeros of shape (batch, state_size)).",
        )
    cell.build((None, input_dim))
    cell.built = True
    rng = np.random.default_rng(_WEIGHTS_SEED)
    for variable in cell.weights:
        variable.assign((0.5 * rng.normal(size=variable.shape)).astype(variable.dtype))
    weights = {variable.name: variable.numpy() for variable in cell.weights}
    x = sample_inputs((batch, input_dim), seed=8)
    h = sample_inputs((batch, units), seed=9)
    try:
        result = cell(x, [h])
    except NotImplementedError:
        raise  # the exercise is not done yet: grading.exercise says so
    except Exception as error:
        raise GradingFailure(f"one step of {name}: cell(x_t, [previous_output])",
                             expected="(output, [new_state])", got=f"{type(error).__name__}: {error}",
                             hint="call(self, inputs, states): states is a list; the previous output is "
                                  "states[0].") from None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise GradingFailure(
            f"what one step of {name} returns", expected="two things: (output, [new_state])",
            got=f"a {type(result).__name__}",
            hint="return the output and the list of new states: return output, [output].",
        )
    output, new_states = result
    try:
        want = np.asarray(expected(x, h, weights))
    except KeyError as missing:
        raise GradingFailure(f"the weights of {name}", expected=f"a weight named {missing}",
                             got=", ".join(weights) or "no weights",
                             hint=f"create it in build: self.add_weight(..., name={missing}).") from None
    got = as_numpy(output)
    hint = None
    for description, wrong in (mistakes or {}).items():
        candidate = np.asarray(wrong(x, h, weights))
        if not np.allclose(got, want, rtol=1e-4, atol=1e-5) and candidate.shape == got.shape \
                and np.allclose(got, candidate, rtol=1e-4, atol=1e-5):
            hint = description
            break
    check_close(got, want, f"the output of one step of {name}({units}) on x_t of shape {x.shape} "
                           f"and a previous output of shape {h.shape} (weights set to random values)",
                rtol=1e-4, atol=1e-5, hint=hint)
    if isinstance(new_states, (list, tuple)):
        if len(new_states) != 1:
            raise GradingFailure(
                f"the new states returned by one step of {name}", expected="one state: [output]",
                got=f"{len(new_states)} states",
                hint="this cell has one state, its output: return output, [output].",
            )
        new_states = new_states[0]
    check_close(new_states, want, f"the new state returned by one step of {name}",
                rtol=1e-4, atol=1e-5, hint="the new state of this cell is its output: return output, [output].")


def check_cell_matches_simple_rnn(make_cell, units, input_shape):
    """`RNN(cell)` gives the outputs of `SimpleRNN(units)` holding the same weights,
    for every step (return_sequences) and as its final state (return_state)."""
    from mlkit.layers import RNN, SimpleRNN

    cell = new_layer(make_cell)
    name = class_name(cell)
    x = sample_inputs(input_shape, seed=10)
    rnn = RNN(cell, return_sequences=True, return_state=True)
    try:
        rnn(x)
    except NotImplementedError:
        raise  # the exercise is not done yet: grading.exercise says so
    except Exception as error:
        raise GradingFailure(
            f"layers.RNN({name}({units}), return_sequences=True, return_state=True) on inputs of shape {x.shape}",
            expected="the outputs of every step and the final state", got=f"{type(error).__name__}: {error}",
            hint="the cell needs `self.state_size = units`, build(self, input_shape) creating the weights, "
                 "and call(self, inputs, states) returning (output, [output]).",
        ) from None
    rng = np.random.default_rng(_WEIGHTS_SEED)
    for variable in rnn.weights:
        variable.assign((0.5 * rng.normal(size=variable.shape)).astype(variable.dtype))
    sequence, *final_states = rnn(x)
    reference = SimpleRNN(units, return_sequences=True, return_state=True)
    reference(x)
    if [tuple(v.shape) for v in reference.weights] != [tuple(v.shape) for v in rnn.weights]:
        raise GradingFailure(
            f"the weights of RNN({name}({units})) against those of SimpleRNN({units})",
            expected=", ".join(f"{v.name} {tuple(v.shape)}" for v in reference.weights),
            got=", ".join(f"{v.name} {tuple(v.shape)}" for v in rnn.weights),
            hint="create kernel (input_shape[-1], units), recurrent_kernel (units, units) and bias (units,), "
                 "in this order.",
        )
    reference.set_weights(rnn.get_weights())
    want_sequence, want_state = reference(x)
    check_close(sequence, want_sequence,
                f"the outputs of every step of RNN({name}({units}), return_sequences=True) against "
                f"SimpleRNN({units}) with the same weights, on inputs of shape {x.shape}",
                rtol=1e-4, atol=1e-5,
                hint="each step must compute tanh(x_t @ kernel + previous_output @ recurrent_kernel + bias).")
    if len(final_states) != 1:
        raise GradingFailure(
            f"what RNN({name}({units}), return_state=True) returns", expected="[outputs, final_state]",
            got=f"{1 + len(final_states)} tensors",
            hint="the cell has one state: state_size = units, and call returns (output, [output]).",
        )
    check_close(final_states[0], want_state, f"the final state of RNN({name}({units}), return_state=True)",
                rtol=1e-4, atol=1e-5, hint="the new state is the step's output: return output, [output].")


def minimal_rnn_step(x, h, weights):
    """What one step of a simple recurrent cell computes: tanh(x W + h U + b)."""
    return np.tanh(x @ weights["kernel"] + h @ weights["recurrent_kernel"] + weights["bias"])


# Plausible wrong steps of a simple recurrent cell, by description (for check_cell_step).
MINIMAL_RNN_MISTAKES = {
    "the previous output (states[0]) is not used: add ops.matmul(states[0], self.recurrent_kernel).":
        lambda x, h, w: np.tanh(x @ w["kernel"] + w["bias"]),
    "the tanh is missing: output = ops.tanh(...).":
        lambda x, h, w: x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"],
    "the bias is not added.":
        lambda x, h, w: np.tanh(x @ w["kernel"] + h @ w["recurrent_kernel"]),
    "the recurrent kernel is transposed: ops.matmul(previous_output, self.recurrent_kernel).":
        lambda x, h, w: np.tanh(x @ w["kernel"] + h @ w["recurrent_kernel"].T + w["bias"]),
}
