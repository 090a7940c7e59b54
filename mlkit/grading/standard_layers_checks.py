"""Checks for notebook 08 (standard layers from the inside): Dropout, BatchNormalization
and a recurrent cell written by the learner.

The wrong answers they catch: Dropout active at inference, kept values not
scaled (or scaled by `1 - rate`), the keep/drop test reversed, one random
number for the whole batch, masks that ignore the seed or repeat on every
call; batch statistics that leave `mlkit.ops` (so no gradient flows through
them), the unbiased variance, the momentum applied the wrong way round,
gamma and beta not starting at ones and zeros, moving statistics updated at
inference or by a frozen layer; a recurrent cell that ignores its state or
multiplies the whole list of states, forgets the activation or the bias,
ignores the initializers asked for, or returns more than one state.

Each check observes the learner's layer through `probe_channel.observing` (at
autograde, what it saw leaves the sandbox as plain data and is judged by the
trusted grader).

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
from mlkit.grading.probe_channel import RecordMismatch, observing
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

    x = sample_inputs(input_shape, seed=5)
    hint = ("Dropout is active at inference. Drop values only when training is true: "
            "`if not training: return inputs` first thing in call(self, inputs, training=False).")
    with observing("check_dropout_inference") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        for during, kwargs in [("a call without `training`", {}), ("a call with training=False", {"training": False})]:
            got = probe.value(lambda: as_numpy(call_layer(layer, x, during, **kwargs)))
            check_close(got, x, f"{name}({rate}) on inputs of shape {x.shape}, {during}", hint=hint)
        predicted = probe.value(lambda: as_numpy(
            Sequential([Input(shape=input_shape[1:]), new_layer(make_layer)]).predict(x, verbose=0)))
        check_close(predicted, x, f"model.predict(x) of a model holding {name}({rate})", hint=hint)


def check_dropout_training(make_layer, rate, input_shape=(100, 100)):
    """With `training=True`: a fraction `rate` of zeros (one random draw per value) and the
    kept values multiplied by 1 / (1 - rate), so that the expected value is unchanged."""
    # Inputs in [1, 2): no zero among them, so every zero in the output was dropped.
    x = (1.0 + np.random.default_rng(11).random(input_shape)).astype("float32")
    with observing("check_dropout_training") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        calls = probe.value(lambda: [as_numpy(call_layer(layer, x, "a call with training=True", training=True))
                                     for _ in range(4)])
        calls = [np.asarray(got) for got in calls]
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
    x = (1.0 + np.random.default_rng(12).random(input_shape)).astype("float32")
    hint = ("the mask must multiply the inputs with ops (ops.multiply or *), on the tensor itself: "
            "inputs.numpy() or np.* functions leave the graph, so no gradient reaches the inputs.")
    with observing("check_dropout_gradient") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        outputs, gradient, error = probe.value(lambda: _outputs_and_input_gradient(layer, x))
        if error is not None:
            raise GradingFailure(f"the gradient of sum({name}(x, training=True)) with respect to x",
                                 expected="a gradient", got=str(error), hint=hint)
        if gradient is None:
            raise GradingFailure(f"the gradient of sum({name}(x, training=True)) with respect to x",
                                 expected="the mask / (1 - rate)", got="None (no gradient reaches x)", hint=hint)
        mask = np.asarray(outputs) / x
        check_close(gradient, mask, f"the gradient of sum({name}(x, training=True)) with respect to x",
                    rtol=1e-4, hint="the gradient flows only through the kept values, scaled like them: "
                                    "outputs = inputs * mask / (1 - rate), computed with ops.")


def _outputs_and_input_gradient(layer, inputs):
    """In the learner's kernel: (outputs, gradient of their sum with respect to the inputs or
    None, the error tape.gradient raised or None) of a training call, as arrays and text."""
    x = convert_to_tensor(inputs)
    with GradientTape() as tape:
        tape.watch(x)
        outputs = call_layer(layer, x, "a call with training=True", training=True)
        total = reduce_sum(outputs)
    try:
        gradient = tape.gradient(total, x)
    except Exception as error:
        return as_numpy(outputs), None, f"{type(error).__name__}: {error}"
    return as_numpy(outputs), None if gradient is None else as_numpy(gradient), None


def check_dropout_seeding(make_layer, input_shape=(6, 20)):
    """`make_layer(seed)`: the same seed gives the same sequence of masks, each call a new mask,
    and a different seed other masks."""
    x = np.ones(input_shape, dtype="float32")

    def masks(layer, calls=2):
        return [as_numpy(call_layer(layer, x, "a call with training=True", training=True)) != 0 for _ in range(calls)]

    with observing("check_dropout_seeding") as probe:
        first_layer = probe.handle(lambda: new_layer(make_layer, seed=42))
        twin = probe.handle(lambda: new_layer(make_layer, seed=42))
        name = probe.value(lambda: class_name(first_layer))
        mine, twins = probe.value(lambda: masks(first_layer)), probe.value(lambda: masks(twin))
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
        other = probe.value(lambda: masks(new_layer(make_layer, seed=7), calls=1))
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


def _require_weights(present, names, name):
    """Fail unless every weight of `names` is among the weight names `present` (of the layer `name`)."""
    missing = [wanted for wanted in names if wanted not in present]
    if missing:
        raise GradingFailure(
            f"the weights of {name}", expected=", ".join(names),
            got=", ".join(present) or "no weights",
            hint=f"create them in build with self.add_weight(..., name={missing[0]!r}).",
        )


def _weight_names(layer):
    return [str(variable.name) for variable in layer.weights]


def _values(layer, names):
    """In the learner's kernel: copies of the values of the weights `names`."""
    weights = {variable.name: variable for variable in layer.weights}
    return [weights[wanted].numpy().copy() for wanted in names]


_BATCH_NORM_WEIGHTS = ("gamma", "beta", "moving_mean", "moving_variance")
_STATISTICS = ("moving_mean", "moving_variance")


def _randomized_batch_norm(probe, make_layer, x, *, check_initial=False):
    """Observed: a new layer called once on `x`, its weights checked and set to random values.
    Returns (the layer, its class name, {weight name: value}).

    With `check_initial`, gamma and beta must first hold their initial values, ones and
    zeros (the checks then randomize them, which would hide another initializer).
    """
    layer = probe.handle(lambda: new_layer(make_layer))
    name = probe.value(lambda: class_name(layer))
    probe.handle(lambda: call_layer(layer, x, "the first call"))
    _require_weights(probe.value(lambda: _weight_names(layer)), _BATCH_NORM_WEIGHTS, name)
    if check_initial:
        gamma, beta = (np.asarray(value) for value in probe.value(lambda: _values(layer, ("gamma", "beta"))))
        if not (np.allclose(gamma, 1) and np.allclose(beta, 0)):
            raise GradingFailure(
                f"gamma and beta of a new {name}", expected="ones and zeros (their initializers)",
                got=f"{gamma} and {beta}",
                hint="initialize gamma with 'ones' and beta with 'zeros': a new layer then only normalizes, "
                     "and learns its scale and offset from there.",
            )
    weights = probe.value(lambda: _randomize(layer))
    return layer, name, {key: np.asarray(value) for key, value in weights.items()}


def check_batch_norm_training_output(make_layer, inputs, *, epsilon=1e-3):
    """`layer(x, training=True)` = gamma * (x - batch mean) / sqrt(batch variance + epsilon) + beta,
    per channel (the last axis), with random gamma, beta and moving statistics."""
    x = np.asarray(inputs, dtype="float32")
    with observing("check_batch_norm_training_output") as probe:
        layer, name, weights = _randomized_batch_norm(probe, make_layer, x, check_initial=True)
        got = probe.value(lambda: as_numpy(call_layer(layer, x, "a call with training=True", training=True)))
        mean, variance = _moments(x.astype("float64"))
        expected = weights["gamma"] * (x - mean) / np.sqrt(variance + epsilon) + weights["beta"]
        _compare(np.asarray(got), expected, x, weights, batch_norm_mistakes(epsilon),
                 f"the output of {name}(x, training=True) for x of shape {x.shape} (gamma, beta and the moving "
                 "statistics set to random values)")


def check_batch_norm_inference_output(make_layer, inputs, *, epsilon=1e-3):
    """Without `training` and with `training=False`: the moving statistics, not the batch's."""
    x = np.asarray(inputs, dtype="float32")
    mistakes = {
        "the batch statistics are used at inference: unless training is true, normalize with "
        "moving_mean and moving_variance.":
            lambda x, w: w["gamma"] * (x - _moments(x)[0]) / np.sqrt(_moments(x)[1] + epsilon) + w["beta"],
        "epsilon is added outside the square root: ops.sqrt(moving_variance + epsilon).":
            lambda x, w: w["gamma"] * (x - w["moving_mean"]) / (np.sqrt(w["moving_variance"]) + epsilon) + w["beta"],
        "gamma and beta are not applied at inference: return gamma * normalized + beta.":
            lambda x, w: (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + epsilon),
    }
    with observing("check_batch_norm_inference_output") as probe:
        layer, name, weights = _randomized_batch_norm(probe, make_layer, x)
        expected = (weights["gamma"] * (x - weights["moving_mean"])
                    / np.sqrt(weights["moving_variance"] + epsilon) + weights["beta"])
        for during, kwargs in [("without `training`", {}), ("with training=False", {"training": False})]:
            got = probe.value(lambda: as_numpy(call_layer(layer, x, f"a call {during}", **kwargs)))
            _compare(np.asarray(got), expected, x, weights, mistakes,
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
    batches = [np.asarray(inputs, dtype="float32"), 2.0 * np.asarray(inputs, dtype="float32") + 1.0]
    with observing("check_moving_statistics_update") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, batches[0], "the first call", training=False))
        _require_weights(probe.value(lambda: _weight_names(layer)), _STATISTICS, name)
        moving_mean, moving_variance = (np.asarray(value) for value in probe.value(lambda: _values(layer, _STATISTICS)))
        if not (np.allclose(moving_mean, 0) and np.allclose(moving_variance, 1)):
            raise GradingFailure(
                f"moving_mean and moving_variance of a new {name}",
                expected="zeros and ones (their initializers)",
                got=f"{moving_mean} and {moving_variance}",
                hint="initialize moving_mean with 'zeros' and moving_variance with 'ones', and don't change "
                     "them when training is false.",
            )
        previous = (np.zeros(moving_mean.shape), np.ones(moving_variance.shape))
        for number, batch in enumerate(batches, start=1):
            probe.handle(lambda: call_layer(layer, batch, f"training call {number}", training=True))
            moving_mean, moving_variance = (np.asarray(value)
                                            for value in probe.value(lambda: _values(layer, _STATISTICS)))
            _check_moving_statistics(name, momentum, number, batch, previous, moving_mean, moving_variance)
            mean, variance = _moments(batch.astype("float64"))
            previous = (previous[0] * momentum + mean * (1 - momentum),
                        previous[1] * momentum + variance * (1 - momentum))


def _check_moving_statistics(name, momentum, number, batch, previous, moving_mean, moving_variance):
    """The moving statistics after training call `number` (on `batch`), from the `previous` ones."""
    mean, variance = _moments(batch.astype("float64"))
    unbiased = _moments(batch.astype("float64"), biased=False)[1]
    want_mean = previous[0] * momentum + mean * (1 - momentum)
    want_variance = previous[1] * momentum + variance * (1 - momentum)
    when = "one training call" if number == 1 else "a second training call"
    check_close(
        moving_mean, want_mean, f"moving_mean of {name}(momentum={momentum}) after {when}",
        rtol=1e-4, atol=1e-5,
        hint="moving_mean must stay unchanged in the training call: only `assign` changes it"
        if np.allclose(moving_mean, previous[0]) else None,
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


def check_frozen_batch_norm(make_layer, inputs):
    """A layer with trainable=False runs in inference mode even with training=True
    (Keras 3's rule): the moving statistics are used and stay unchanged."""
    x = np.asarray(inputs, dtype="float32")
    hint = ("a frozen batch normalization runs in inference mode (Keras 3's rule): use the batch "
            "statistics and update the moving ones only `if training and self.trainable:`.")
    with observing("check_frozen_batch_norm") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, x, "the first call", training=False))
        _require_weights(probe.value(lambda: _weight_names(layer)), _BATCH_NORM_WEIGHTS, name)
        initial = probe.value(lambda: _values(layer, _STATISTICS))
        probe.handle(lambda: call_layer(layer, x, "a training call", training=True))
        trained = probe.value(lambda: _values(layer, _STATISTICS))
        if _all_equal(trained, initial):
            raise GradingFailure(
                f"the moving statistics of {name} (not frozen) after a call with training=True",
                expected="updated", got="unchanged",
                hint="the moving statistics are not updated in training calls (see the test of the moving "
                     "statistics): this test needs that first.",
            )
        probe.handle(lambda: _randomize(layer))
        probe.handle(lambda: setattr(layer, "trainable", False))
        before = probe.value(lambda: _values(layer, _STATISTICS))
        frozen = probe.value(lambda: as_numpy(call_layer(
            layer, x, "a call with training=True after layer.trainable = False", training=True)))
        after = probe.value(lambda: _values(layer, _STATISTICS))
        changed = [wanted for wanted, old, new in zip(_STATISTICS, before, after) if not np.array_equal(new, old)]
        if changed:
            raise GradingFailure(
                f"{', '.join(changed)} of a frozen {name} (trainable=False) after a call with training=True",
                expected="unchanged", got="updated", hint=hint,
            )
        inference = probe.value(lambda: as_numpy(call_layer(layer, x, "a call with training=False", training=False)))
        check_close(frozen, inference,
                    f"the output of a frozen {name} called with training=True, against its output with training=False",
                    rtol=1e-4, atol=1e-5, hint=hint)
        probe.handle(lambda: setattr(layer, "trainable", True))
        probe.handle(lambda: call_layer(layer, x, "a training call after layer.trainable = True again", training=True))
        unfrozen = probe.value(lambda: _values(layer, _STATISTICS))
    if _all_equal(unfrozen, before):
        raise GradingFailure(
            f"the moving statistics of {name} unfrozen again (trainable=True), after a call with training=True",
            expected="updated", got="unchanged",
            hint="read self.trainable when call runs (don't store it in __init__): unfreezing must "
                 "bring the training behaviour back.",
        )


def _all_equal(values, others):
    return all(np.array_equal(value, other) for value, other in zip(values, others))


def check_frozen_in_fit(make_layer, input_shape, *, epochs=2):
    """Inside `fit`, a frozen batch-norm layer keeps its moving statistics and its gamma and beta."""
    x = sample_inputs(input_shape, seed=4) * 3.0 + 2.0
    with observing("check_frozen_in_fit") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        changed = probe.value(lambda: _changed_by_frozen_fit(layer, x, epochs))
    if changed:
        raise GradingFailure(
            f"the weights of a frozen {name} (layer.trainable = False) after {epochs} epochs of fit()",
            expected="all unchanged", got=f"{', '.join(changed)} changed",
            hint="fit() calls the layer with training=True; a frozen batch normalization must then run "
                 "in inference mode: `if training and self.trainable:`.",
        )


def _changed_by_frozen_fit(layer, x, epochs):
    """In the learner's kernel: the names of the weights of `layer`, frozen after a first
    training call, that `fit` changed."""
    from mlkit.layers import Input
    from mlkit.models import Sequential
    from mlkit.optimizers import SGD

    call_layer(layer, x, "a first training call", training=True)
    layer.trainable = False
    before = {v.name: v.numpy().copy() for v in layer.weights}
    model = Sequential([Input(shape=tuple(x.shape[1:])), layer])
    model.compile(optimizer=SGD(0.1), loss="mse")
    model.fit(x, np.zeros_like(x), epochs=epochs, batch_size=len(x), verbose=0)
    return [str(v.name) for v in layer.weights if not np.array_equal(v.numpy(), before[v.name])]


def check_weights_kept(make_layer, input_shape):
    """The same weight objects after training calls: created once in build, never in call
    (their values may change: the moving statistics do)."""
    x = sample_inputs(input_shape, seed=13)
    with observing("check_weights_kept") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, x, "the first call", training=True))
        first = probe.handle(lambda: list(layer.weights))
        probe.handle(lambda: call_layer(layer, x, "a second call", training=True))
        kept = probe.value(lambda: len(layer.weights) == len(first)
                           and all(a is b for a, b in zip(layer.weights, first)))
    if kept is not True:
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
    x = sample_inputs((batch, input_dim), seed=8)
    h = sample_inputs((batch, units), seed=9)
    with observing("check_cell_step") as probe:
        cell = probe.handle(lambda: new_layer(make_cell))
        name = probe.value(lambda: class_name(cell))
        state_size = probe.value(lambda: getattr(cell, "state_size", None))
        if state_size != units:
            raise GradingFailure(
                f"{name}({units}).state_size", expected=units, got=state_size,
                hint="set self.state_size = units in __init__: the RNN layer reads it to create the "
                     "first state (zeros of shape (batch, state_size)).",
            )
        built = probe.value(lambda: _built_with_random_weights(cell, input_dim))
        if not (isinstance(built, tuple) and len(built) == 2 and all(isinstance(part, dict) for part in built)):
            raise RecordMismatch("the weights of the cell")
        initial, weights = built
        step = probe.value(lambda: _one_step(cell, x, h))
        _check_cell_initializers(name, {key: np.asarray(value) for key, value in initial.items()})
        weights = {key: np.asarray(value) for key, value in weights.items()}
        if "error" in step:
            raise GradingFailure(f"one step of {name}: cell(x_t, [previous_output])",
                                 expected="(output, [new_state])", got=str(step["error"]),
                                 hint="call(self, inputs, states): states is a list; the previous output is "
                                      "states[0].")
        if "returned" in step:
            raise GradingFailure(
                f"what one step of {name} returns", expected="two things: (output, [new_state])",
                got=f"a {step['returned']}",
                hint="return the output and the list of new states: return output, [output].",
            )
        try:
            want = np.asarray(expected(x, h, weights))
        except KeyError as missing:
            raise GradingFailure(f"the weights of {name}", expected=f"a weight named {missing}",
                                 got=", ".join(weights) or "no weights",
                                 hint=f"create it in build: self.add_weight(..., name={missing}).") from None
        got = np.asarray(step["output"])
        hint = None
        for description, wrong in (mistakes or {}).items():
            candidate = np.asarray(wrong(x, h, weights))
            right = got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5)
            if not right and candidate.shape == got.shape and np.allclose(got, candidate, rtol=1e-4, atol=1e-5):
                hint = description
                break
        check_close(got, want, f"the output of one step of {name}({units}) on x_t of shape {x.shape} "
                               f"and a previous output of shape {h.shape} (weights set to random values)",
                    rtol=1e-4, atol=1e-5, hint=hint)
        if step["states"] is not None and step["states"] != 1:
            raise GradingFailure(
                f"the new states returned by one step of {name}", expected="one state: [output]",
                got=f"{step['states']} states",
                hint="this cell has one state, its output: return output, [output].",
            )
        check_close(step["new_state"], want, f"the new state returned by one step of {name}",
                    rtol=1e-4, atol=1e-5, hint="the new state of this cell is its output: return output, [output].")


def _built_with_random_weights(cell, input_dim):
    """In the learner's kernel: build the cell, set its weights to random values; returns
    ({name: initial value}, {name: random value})."""
    cell.build((None, input_dim))
    cell.built = True
    initial = {variable.name: variable.numpy().copy() for variable in cell.weights}
    rng = np.random.default_rng(_WEIGHTS_SEED)
    for variable in cell.weights:
        variable.assign((0.5 * rng.normal(size=variable.shape)).astype(variable.dtype))
    return initial, {variable.name: variable.numpy() for variable in cell.weights}


def _check_cell_initializers(name, initial):
    """The bias of a new recurrent cell starts at zeros, its recurrent kernel orthogonal."""
    bias = initial.get("bias")
    if bias is not None and not np.allclose(bias, 0):
        raise GradingFailure(f"the bias of a new {name}", expected="zeros", got=bias,
                             hint="initialize the bias with 'zeros' (the initializer the exercise asks for).")
    recurrent = initial.get("recurrent_kernel")
    if recurrent is not None and recurrent.ndim == 2 and recurrent.shape[0] == recurrent.shape[1] \
            and not np.allclose(recurrent.T @ recurrent, np.eye(len(recurrent)), atol=1e-4):
        raise GradingFailure(
            f"the recurrent_kernel of a new {name}", expected="an orthogonal matrix (U.T @ U = identity)",
            got="a matrix that is not orthogonal",
            hint="initialize recurrent_kernel with 'orthogonal': repeated at every step, it then neither "
                 "blows the state up nor shrinks it to nothing.",
        )


def _one_step(cell, x, h):
    """In the learner's kernel: what `cell(x, [h])` gives, as plain data: {"error": text},
    {"returned": a type name}, or {"output", "states" (how many, None if not a list), "new_state"}."""
    try:
        result = cell(x, [h])
    except NotImplementedError:
        raise  # the exercise is not done yet: grading.exercise says so
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return {"returned": type(result).__name__}
    output, new_states = result
    if not isinstance(new_states, (list, tuple)):
        return {"output": as_numpy(output), "states": None, "new_state": as_numpy(new_states)}
    count = len(new_states)
    return {"output": as_numpy(output), "states": count, "new_state": as_numpy(new_states[0]) if count == 1 else None}


def check_cell_matches_simple_rnn(make_cell, units, input_shape):
    """`RNN(cell)` gives the outputs of `SimpleRNN(units)` holding the same weights,
    for every step (return_sequences) and as its final state (return_state)."""
    from mlkit.layers import SimpleRNN

    x = sample_inputs(input_shape, seed=10)
    with observing("check_cell_matches_simple_rnn") as probe:
        cell = probe.handle(lambda: new_layer(make_cell))
        name = probe.value(lambda: class_name(cell))
        run = probe.value(lambda: _run_in_rnn(cell, x))
        if "error" in run:
            step_shape = _plain_shape(run.get("step_shape"))
            wanted_shape = (x.shape[0], units)
            hint = ("the cell needs `self.state_size = units`, build(self, input_shape) creating the weights, "
                    "and call(self, inputs, states) returning (output, [output]).")
            if step_shape is not None and step_shape != wanted_shape:
                hint = (f"one step of the cell returns an output of shape {step_shape}, not (batch, units) = "
                        f"{wanted_shape}. states is a list holding the previous output: use states[0] "
                        "(ops.matmul(states, ...) treats the list as one more axis).")
            raise GradingFailure(
                f"layers.RNN({name}({units}), return_sequences=True, return_state=True) on inputs of shape {x.shape}",
                expected="the outputs of every step and the final state", got=str(run["error"]), hint=hint,
            )
        reference = SimpleRNN(units, return_sequences=True, return_state=True)
        reference(x)
        weights = [(str(weight_name), tuple(shape)) for weight_name, shape in run["weights"]]
        if [tuple(v.shape) for v in reference.weights] != [shape for _, shape in weights]:
            raise GradingFailure(
                f"the weights of RNN({name}({units})) against those of SimpleRNN({units})",
                expected=", ".join(f"{v.name} {tuple(v.shape)}" for v in reference.weights),
                got=", ".join(f"{weight_name} {shape}" for weight_name, shape in weights),
                hint="create kernel (input_shape[-1], units), recurrent_kernel (units, units) and bias (units,), "
                     "in this order.",
            )
        reference.set_weights([np.asarray(value) for value in run["values"]])
        want_sequence, want_state = reference(x)
        check_close(run["sequence"], want_sequence,
                    f"the outputs of every step of RNN({name}({units}), return_sequences=True) against "
                    f"SimpleRNN({units}) with the same weights, on inputs of shape {x.shape}",
                    rtol=1e-4, atol=1e-5,
                    hint="each step must compute tanh(x_t @ kernel + previous_output @ recurrent_kernel + bias).")
        final_states = run["final_states"]
        if len(final_states) != 1:
            raise GradingFailure(
                f"what RNN({name}({units}), return_state=True) returns", expected="[outputs, final_state]",
                got=f"{1 + len(final_states)} tensors",
                hint="the cell has one state: state_size = units, and call returns (output, [output]).",
            )
        check_close(final_states[0], want_state, f"the final state of RNN({name}({units}), return_state=True)",
                    rtol=1e-4, atol=1e-5, hint="the new state is the step's output: return output, [output].")


def _run_in_rnn(cell, x):
    """In the learner's kernel: `cell` in RNN(cell, return_sequences=True, return_state=True) on
    `x`, its weights set to random values, as plain data: {"error": text} or {"weights" (name,
    shape), "values", "sequence", "final_states"}."""
    from mlkit.layers import RNN

    rnn = RNN(cell, return_sequences=True, return_state=True)
    try:
        rnn(x)
    except NotImplementedError:
        raise  # the exercise is not done yet: grading.exercise says so
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}", "step_shape": _step_output_shape(cell, x)}
    rng = np.random.default_rng(_WEIGHTS_SEED)
    for variable in rnn.weights:
        variable.assign((0.5 * rng.normal(size=variable.shape)).astype(variable.dtype))
    sequence, *final_states = rnn(x)
    return {"weights": [(str(v.name), tuple(int(size) for size in v.shape)) for v in rnn.weights],
            "values": rnn.get_weights(), "sequence": as_numpy(sequence),
            "final_states": [as_numpy(state) for state in final_states]}


def _step_output_shape(cell, x):
    """In the learner's kernel: the shape of the output of one step of `cell` on the first
    time step of `x` from a zero state (None when that step fails too)."""
    try:
        step = cell(x[:, 0], [np.zeros((x.shape[0], int(cell.state_size)), dtype=x.dtype)])
        return [int(size) for size in np.shape(as_numpy(step[0]))]
    except Exception:
        return None


def _plain_shape(reported):
    """A reported shape as a tuple of whole numbers (None when it is not one)."""
    if isinstance(reported, (list, tuple)) and all(isinstance(n, (int, np.integer)) for n in reported):
        return tuple(int(n) for n in reported)
    return None


def minimal_rnn_step(x, h, weights):
    """What one step of a simple recurrent cell computes: tanh(x W + h U + b)."""
    return np.tanh(x @ weights["kernel"] + h @ weights["recurrent_kernel"] + weights["bias"])


# Plausible wrong steps of a simple recurrent cell, by description (for check_cell_step).
MINIMAL_RNN_MISTAKES = {
    "the previous output (states[0]) is not used: add ops.matmul(states[0], self.recurrent_kernel).":
        lambda x, h, w: np.tanh(x @ w["kernel"] + w["bias"]),
    "states is a list holding the previous output: multiply states[0], not the whole list "
    "(ops.matmul(states, ...) treats the list as one more axis).":
        lambda x, h, w: np.tanh(x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])[None],
    "the tanh is missing: output = ops.tanh(...).":
        lambda x, h, w: x @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"],
    "the bias is not added.":
        lambda x, h, w: np.tanh(x @ w["kernel"] + h @ w["recurrent_kernel"]),
    "the recurrent kernel is transposed: ops.matmul(previous_output, self.recurrent_kernel).":
        lambda x, h, w: np.tanh(x @ w["kernel"] + h @ w["recurrent_kernel"].T + w["bias"]),
}
