"""Checks for notebook 04 (losses and regularization): loss classes that
honour `reduction` and `sample_weight`, and losses that layers add.

A `Loss` subclass writes `call(y_true, y_pred)` returning one value per
sample; the base class's `__call__` then weights and reduces them. The
usual mistakes reduce too early (a scalar from `call`, so `reduction` and
`sample_weight` are ignored) or override `__call__`; `check_loss_values`
names both. `check_added_loss` checks the value a layer puts in `losses`
(with hints for the usual scaling mistakes) and that gradients reach the
inputs through it. Each check observes the learner's objects through
`observing` (see probe_channel) and judges the plain values it saw.

    >>> import numpy as np
    >>> from mlkit import losses
    >>> y_true, y_pred = np.zeros((2, 3)), np.array([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]])
    >>> check_loss_values(losses.MeanSquaredError, y_true, y_pred, per_sample=[1.0, 4 / 3])
"""

import numpy as np

from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_computation import NOT_DIFFERENTIABLE_HINT
from mlkit.grading.layer_helpers import as_numpy, call_layer, class_name, float64_layers, new_layer, sample_inputs
from mlkit.grading.probe_channel import observing, require_trusted
from mlkit.utils.gradient_check import gradient_disagreement, gradients_both_ways

_ONE_VALUE_PER_SAMPLE = ("call must return one loss value per sample, shape (batch,): reduce over the last "
                         "axis only (axis=-1). The base class then applies sample_weight and the reduction.")


def check_loss_values(make_loss, y_true, y_pred, per_sample, *, mistakes=None, rtol=1e-5, atol=1e-6):
    """`make_loss(reduction=...)` gives, for `y_true`/`y_pred`: the `per_sample` values
    with reduction None, their sum with "sum", their mean by default, and the mean of
    the weighted values with a `sample_weight`. `mistakes` maps a description to
    wrong per-sample values."""
    from mlkit import losses

    require_trusted(per_sample, mistakes)
    y_true, y_pred = np.asarray(y_true, dtype="float32"), np.asarray(y_pred, dtype="float32")
    per_sample = np.asarray(per_sample, dtype="float64")
    weights = np.linspace(0.0, 2.0, len(per_sample))
    with observing("check_loss_values") as probe:
        default = probe.handle(lambda: new_loss(make_loss))
        name = probe.value(lambda: type(default).__name__)
        for reduction in (None, "sum"):
            got_reduction = probe.value(lambda: new_loss(make_loss, reduction=reduction).reduction)
            if got_reduction != reduction:
                raise GradingFailure(
                    f"{name}(reduction={reduction!r}).reduction", expected=reduction, got=got_reduction,
                    hint="pass **kwargs on to the parent: super().__init__(**kwargs) (it takes name and reduction).",
                )
        overrides_call = probe.value(lambda: type(default).__call__ is not losses.Loss.__call__)
        got = np.asarray(probe.value(lambda: as_numpy(default(y_true, y_pred))))
        # Judged inside the block: the checks below judge these plain values, not new ones.
        check_close(got, per_sample.mean(), f"{name}()(y_true, y_pred) (default reduction: the mean over the batch)",
                    rtol=rtol, atol=atol, hint=_recognize(got, per_sample, mistakes, np.mean))
        unreduced = np.asarray(probe.value(lambda: as_numpy(new_loss(make_loss, reduction=None)(y_true, y_pred))))
        if overrides_call is not False:
            hint = ("write call(self, y_true, y_pred), not __call__: the base class's __call__ applies "
                    "sample_weight and the reduction to what call returns.")
        else:
            hint = _ONE_VALUE_PER_SAMPLE
        if unreduced.shape != per_sample.shape:
            raise GradingFailure(
                f"the shape of {name}(reduction=None)(y_true, y_pred), for a batch of {len(per_sample)} samples",
                expected=per_sample.shape, got=unreduced.shape, hint=hint,
            )
        check_close(unreduced, per_sample, f"{name}(reduction=None)(y_true, y_pred): the loss of each sample",
                    rtol=rtol, atol=atol, hint=_recognize(unreduced, per_sample, mistakes, lambda v: v))
        total = np.asarray(probe.value(lambda: as_numpy(new_loss(make_loss, reduction="sum")(y_true, y_pred))))
        check_close(total, per_sample.sum(), f"{name}(reduction='sum')(y_true, y_pred)", rtol=rtol, atol=atol,
                    hint=hint if np.isclose(total, per_sample.mean()) else None)
        weighted = np.asarray(probe.value(lambda: as_numpy(default(y_true, y_pred, sample_weight=weights))))
        check_close(weighted, (per_sample * weights).mean(),
                    f"{name}()(y_true, y_pred, sample_weight={weights.tolist()})", rtol=rtol, atol=atol,
                    hint=hint if np.isclose(weighted, per_sample.mean()) else None)


def check_loss_config(loss_class, arguments):
    """`loss_class(**arguments).get_config()` holds the arguments, 'name' and 'reduction',
    and `from_config` gives back a loss with the same config."""
    require_trusted(arguments)
    with observing("check_loss_config") as probe:
        loss = probe.handle(lambda: new_loss(loss_class, **arguments))
        name = probe.value(lambda: type(loss).__name__)
        checked = f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())}).get_config()"
        raw_config = probe.handle(lambda: loss.get_config())
        described = probe.value(lambda: None if isinstance(raw_config, dict) else
                                f"{type(raw_config).__name__}: {raw_config!r}"[:2000])
        if described is not None:
            raise GradingFailure(checked, expected="a dict", got=str(described),
                                 hint="end get_config with `return config`.")
        config = probe.value(lambda: raw_config)
        if not isinstance(config, dict):
            raise GradingFailure(checked, expected="a dict", got="a dict whose keys are not all strings")
        loss_name, loss_reduction = probe.value(lambda: (loss.name, loss.reduction))
        expected = {"name": loss_name, "reduction": loss_reduction, **arguments}
        for key, value in expected.items():
            if key not in config:
                hint = (f"add {key!r}: self.{key} to the config." if key in arguments else
                        "start from the parent's config, config = super().get_config(): it holds name and reduction.")
                raise GradingFailure(checked, expected=f"a key {key!r}", got="the keys " + ", ".join(map(repr, config)),
                                     hint=hint)
            if config[key] != value:
                raise GradingFailure(f"{checked}[{key!r}]", expected=value, got=config[key],
                                     hint=f"store the argument as given: self.{key} = {key} in __init__, and pass "
                                          "**kwargs on to super().__init__.")
        json_error = probe.value(lambda: _json_error(raw_config))
        if json_error is not None or _json_error(config) is not None:
            raise GradingFailure(checked, expected="plain values that JSON can store",
                                 got=str(json_error or _json_error(config)))
        clone_config = probe.value(lambda: _config_from_config(loss_class, raw_config, name))
    if clone_config != config:
        differing = {key for key in set(config) | set(clone_config) if config.get(key) != clone_config.get(key)}
        hint = ("pass **kwargs on to the parent: super().__init__(**kwargs) (it keeps name and reduction)."
                if differing <= {"name", "reduction"} else "__init__ must use every argument it receives.")
        raise GradingFailure(f"{name}.from_config(config).get_config()", expected=config, got=clone_config, hint=hint)


def _json_error(config):
    """Why JSON cannot store `config` (None: it can)."""
    import json

    try:
        json.dumps(config)
    except TypeError as error:
        return str(error)
    return None


def _config_from_config(loss_class, config, name):
    """`loss_class.from_config(config).get_config()`, explained when from_config fails."""
    try:
        clone = loss_class.from_config(config)
    except Exception as error:
        raise GradingFailure(
            f"{name}.from_config(config)", got=f"{type(error).__name__}: {error}",
            hint="__init__ must accept every key of the config: give it **kwargs and pass them on, "
                 "super().__init__(**kwargs) (name and reduction are the parent's).",
        ) from None
    return clone.get_config()


def check_added_loss(make_layer, inputs, expected, *, mistakes=None, rtol=1e-5, atol=1e-6):
    """A call of the layer on `inputs` returns them unchanged and leaves exactly one loss,
    `expected(x)`; `mistakes` maps descriptions to wrong values. Gradients reach the
    inputs through that loss."""
    x = np.asarray(inputs, dtype="float32")
    want = float(expected(x))
    with observing("check_added_loss") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        got_outputs = np.asarray(probe.value(lambda: as_numpy(call_layer(layer, x, "a call"))))
        if got_outputs.shape != x.shape or not np.allclose(got_outputs, x):
            raise GradingFailure(
                f"what {name} returns", expected="its inputs, unchanged", got="something else",
                hint="return inputs: the penalty goes to self.add_loss(...), not into the output.",
            )
        found = probe.value(lambda: [as_numpy(loss) for loss in layer.losses])
        if len(found) != 1:
            raise GradingFailure(
                f"the number of losses in {name}.losses after one call", expected=1, got=len(found),
                hint="call self.add_loss(penalty) once, inside call()." if not found else
                     "add the penalty once per call, as one number.",
            )
        value = np.asarray(found[0])
        if value.shape != ():
            raise GradingFailure(f"the loss {name} added", expected="a scalar (one number for the whole batch)",
                                 got=f"an array of shape {value.shape}", hint="sum it: ops.sum(...).")
        hint = None
        if not np.isclose(float(value), want, rtol=rtol, atol=atol):
            for description, wrong in (mistakes or {}).items():
                if np.isclose(float(value), float(wrong(x)), rtol=rtol, atol=atol):
                    hint = description
                    break
        # Judged inside the block: check_close judges this plain value, not a new one.
        check_close(float(value), want, f"the loss {name} adds for inputs of shape {x.shape}", rtol=rtol, atol=atol,
                    hint=hint)
        again = probe.value(lambda: _losses_of_another_call(layer, x))
        if len(again) != 1 or not np.isclose(float(again[0]), want, rtol=rtol, atol=atol):
            raise GradingFailure(
                f"the losses of {name} after a second call on the same inputs", expected=[want], got=again,
                hint="the loss must come from this call alone: compute it from this call's inputs and add it with "
                     "self.add_loss(...) inside call (the layer clears its losses at each call); don't keep a total.",
            )
        pairs = probe.value(lambda: _penalty_gradients(make_layer, x.shape))
    problem = gradient_disagreement(pairs)
    if problem is not None:
        raise GradingFailure(f"the gradient of the loss {name} adds, with respect to its inputs",
                             problem=str(problem), hint=NOT_DIFFERENTIABLE_HINT)


def _losses_of_another_call(layer, x):
    call_layer(layer, x, "a second call")
    return [float(as_numpy(loss)) for loss in layer.losses]


def _penalty_gradients(make_layer, shape):
    """The gradients of the loss a new float64 layer adds, by backprop and by finite differences."""
    with float64_layers():
        layer64 = new_layer(make_layer)
    x64 = sample_inputs(shape, seed=8, dtype="float64")

    def penalty(inputs):
        layer64(inputs)
        return layer64.losses[0]

    return gradients_both_ways(penalty, [x64])


def new_loss(make_loss, **kwargs):
    """`make_loss(**kwargs)`, checked to be an mlkit loss."""
    from mlkit import losses

    loss = make_loss(**kwargs)
    if not isinstance(loss, losses.Loss):
        raise GradingFailure(
            "what your class creates", expected="a loss: an instance of a subclass of losses.Loss",
            got=f"a {type(loss).__name__}", hint="start the class with `class MyLoss(losses.Loss):`.",
        )
    return loss


def _recognize(got, per_sample, mistakes, reduce):
    for description, wrong in (mistakes or {}).items():
        candidate = reduce(np.asarray(wrong, dtype="float64"))
        if np.shape(candidate) == np.shape(got) and np.allclose(got, candidate, rtol=1e-5, atol=1e-6):
            return description
    return None
