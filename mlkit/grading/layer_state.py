"""Checks on a layer's configuration and state: get_config, losses, statistics, counters.

The wrong answers they catch: get_config() missing a constructor argument
or not starting from the parent's config; losses that pile up from call to
call; moving statistics updated at inference; a step counter advanced twice
(or never).

    with grading.exercise("ScaledDense saves its configuration"):
        grading.check_config(ScaledDense, {"units": 3, "scale": 0.5})
"""

import json

import numpy as np

from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import call_layer, class_name, new_layer, sample_inputs

_BASE_KEYS = ("name", "trainable", "dtype")


def check_config(layer_class, arguments):
    """`layer_class(**arguments).get_config()` holds every argument and the base keys,
    is plain JSON, and `from_config` rebuilds an equal layer."""
    layer = new_layer(layer_class, **arguments)
    name = class_name(layer)
    config = layer.get_config()
    checked = f"{name}({_arguments_text(arguments)}).get_config()"
    if not isinstance(config, dict):
        raise GradingFailure(checked, expected="a dict", got=f"a {type(config).__name__}",
                             hint="return a dict: config = super().get_config(), then config.update({...}).")
    missing = [key for key in arguments if key not in config]
    if missing:
        raise GradingFailure(
            checked, expected=f"the keys {', '.join(repr(k) for k in arguments)} (the constructor's arguments)",
            got=f"the keys {', '.join(repr(k) for k in config)}",
            hint="get_config() must return every argument of __init__, so from_config can call "
                 f"{name}(**config): add " + ", ".join(f"{k!r}: self.{k}" for k in missing) + ".",
        )
    for key, value in arguments.items():
        if config[key] != value:
            raise GradingFailure(f"{checked}[{key!r}]", expected=value, got=config[key],
                                 hint=f"store the argument as given: self.{key} = {key} in __init__.")
    absent = [key for key in _BASE_KEYS if key not in config]
    if absent:
        raise GradingFailure(
            checked, expected=f"also the base class's keys {', '.join(repr(k) for k in _BASE_KEYS)}",
            got=f"no {', '.join(repr(k) for k in absent)}",
            hint="start from the parent's config: config = super().get_config(), then "
                 "config.update({...}); return config.",
        )
    try:
        json.dumps(config)
    except TypeError as error:
        raise GradingFailure(
            checked, expected="plain values (numbers, strings, lists, dicts) that JSON can store",
            got=str(error),
            hint="serialize objects before storing them, e.g. activations.serialize(self.activation).",
        ) from None
    clone = layer_class.from_config(config)
    clone_config = clone.get_config()
    if clone_config != config:
        differing = sorted(k for k in set(config) | set(clone_config) if config.get(k) != clone_config.get(k))
        raise GradingFailure(
            f"{name}.from_config(config).get_config() against the original config",
            expected={k: config.get(k) for k in differing},
            got={k: clone_config.get(k) for k in differing},
            hint="__init__ must use every argument it receives (and pass **kwargs to super().__init__).",
        )


def check_losses_reset(make_layer, input_shape, *, expected_count=None):
    """Calling the layer twice on the same inputs leaves the same losses, not twice as many."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    inputs = sample_inputs(input_shape)
    call_layer(layer, inputs, "the first call")
    first = [float(np.asarray(getattr(loss, "data", loss))) for loss in layer.losses]
    if expected_count is not None and len(first) != expected_count:
        raise GradingFailure(
            f"the number of losses in {name}.losses after one call", expected=expected_count,
            got=len(first), hint="call self.add_loss(...) once in call().",
        )
    call_layer(layer, inputs, "the second call")
    second = [float(np.asarray(getattr(loss, "data", loss))) for loss in layer.losses]
    if len(second) != len(first):
        raise GradingFailure(
            f"the number of losses in {name}.losses after a first and a second call",
            expected=f"{len(first)} both times", got=f"{len(first)}, then {len(second)}",
            hint="losses pile up from call to call. Add them with self.add_loss(...) inside call(): "
                 "the layer clears them at the start of each call. Don't keep your own list.",
        )
    if not np.allclose(first, second):
        raise GradingFailure(
            f"the losses of {name} for the same inputs, called twice", expected=first, got=second,
            hint="the loss must depend only on this call's inputs and weights.",
        )


def check_state_frozen_at_inference(make_layer, input_shape):
    """Non-trainable state changes in a training call and stays put at inference."""
    layer = new_layer(make_layer)
    name = class_name(layer)
    call_layer(layer, sample_inputs(input_shape, seed=1), "a training call", training=True)
    state = layer.non_trainable_weights
    if not state:
        raise GradingFailure(
            f"the non-trainable weights of {name}", expected="the statistics it keeps",
            got="none", hint="create them with self.add_weight(..., trainable=False).",
        )
    before = [v.numpy().copy() for v in state]
    call_layer(layer, sample_inputs(input_shape, seed=2), "an inference call", training=False)
    changed = [v.name for v, value in zip(state, before) if not np.array_equal(v.numpy(), value)]
    if changed:
        raise GradingFailure(
            f"{', '.join(changed)} of {name} after a call with training=False",
            expected="unchanged", got="updated",
            hint="the statistics are updated at inference too: update them only `if training:`, "
                 "and at inference use them as they are.",
        )
    call_layer(layer, sample_inputs(input_shape, seed=3), "a training call", training=True)
    if all(np.array_equal(v.numpy(), value) for v, value in zip(state, before)):
        raise GradingFailure(
            f"the non-trainable weights of {name} after a call with training=True",
            expected="updated", got="unchanged",
            hint="update them in call() when training is true, e.g. self.moving_mean.assign(...).",
        )


def check_counter_advances(read_count, advance, checked, *, times=3):
    """`read_count()` grows by exactly one per `advance()` (e.g. one per training step)."""
    start = read_count()
    for _ in range(times):
        advance()
    grown = read_count() - start
    if grown == times:
        return
    if grown == 2 * times:
        hint = ("it advances twice per step: is it incremented in two places, or does one step "
                "run call() twice (a second call just to read a value)?")
    elif grown == 0:
        hint = "it never advances: increment it (assign_add(1)) once per step, in training only."
    else:
        hint = None
    raise GradingFailure(f"{checked}, after {times} steps", expected=f"{times} more",
                         got=f"{grown} more", hint=hint)


def _arguments_text(arguments):
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())
