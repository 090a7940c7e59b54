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
from mlkit.grading.probe_channel import observing

_BASE_KEYS = ("name", "trainable", "dtype")


def check_config(layer_class, arguments):
    """`layer_class(**arguments).get_config()` holds every argument and the base keys,
    is plain JSON, and `from_config` rebuilds an equal layer."""
    with observing("check_config") as probe:
        layer = probe.handle(lambda: new_layer(layer_class, **arguments))
        name = probe.value(lambda: class_name(layer))
        raw_config = probe.handle(lambda: layer.get_config())
        is_dict = probe.value(lambda: isinstance(raw_config, dict))
        checked = f"{name}({_arguments_text(arguments)}).get_config()"
        if is_dict is not True:
            got = probe.value(lambda: type(raw_config).__name__)
            raise GradingFailure(checked, expected="a dict", got=f"a {got}",
                                 hint="return a dict: config = super().get_config(), then config.update({...}).")
        config = probe.value(lambda: raw_config)
        if not isinstance(config, dict):
            raise GradingFailure(checked, expected="a dict", got="a dict whose keys are not all strings")
        missing = [key for key in arguments if key not in config]
        if missing:
            raise GradingFailure(
                checked, expected=f"the keys {', '.join(repr(k) for k in arguments)} (the constructor's arguments)",
                got=f"the keys {', '.join(repr(k) for k in config)}",
                hint="get_config() must return every argument of __init__, so from_config can call "
                     f"{name}(**config): add " + ", ".join(f"{k!r}: self.{k}" for k in missing) + ".",
            )
        for key, value in arguments.items():
            if not _same(config[key], value):
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
        json_error = probe.value(lambda: _json_error(raw_config))
        if json_error is not None:
            raise GradingFailure(
                checked, expected="plain values (numbers, strings, lists, dicts) that JSON can store",
                got=str(json_error),
                hint="serialize objects before storing them, e.g. activations.serialize(self.activation).",
            )
        clone_config = probe.value(lambda: layer_class.from_config(raw_config).get_config())
    if not isinstance(clone_config, dict) or not _same(clone_config, config):
        clone_config = clone_config if isinstance(clone_config, dict) else {}
        differing = sorted(k for k in set(config) | set(clone_config) if not _same(config.get(k), clone_config.get(k)))
        raise GradingFailure(
            f"{name}.from_config(config).get_config() against the original config",
            expected={k: config.get(k) for k in differing},
            got={k: clone_config.get(k) for k in differing},
            hint="__init__ must use every argument it receives (and pass **kwargs to super().__init__).",
        )


def _same(first, second):
    """`first == second` for config values (an object with an odd __eq__ is not the same)."""
    try:
        return bool(first == second)
    except Exception:
        return False


def _json_error(config):
    try:
        json.dumps(config)
    except TypeError as error:
        return str(error)
    return None


def check_losses_reset(make_layer, input_shape, *, expected_count=None):
    """Calling the layer twice on the same inputs leaves the same losses, not twice as many."""
    inputs = sample_inputs(input_shape)
    with observing("check_losses_reset") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, inputs, "the first call"))
        first = probe.value(lambda: [float(np.asarray(getattr(loss, "data", loss))) for loss in layer.losses])
        if expected_count is not None and len(first) != expected_count:
            raise GradingFailure(
                f"the number of losses in {name}.losses after one call", expected=expected_count,
                got=len(first), hint="call self.add_loss(...) once in call().",
            )
        probe.handle(lambda: call_layer(layer, inputs, "the second call"))
        second = probe.value(lambda: [float(np.asarray(getattr(loss, "data", loss))) for loss in layer.losses])
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
    with observing("check_state_frozen_at_inference") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, sample_inputs(input_shape, seed=1), "a training call", training=True))
        state = probe.handle(lambda: list(layer.non_trainable_weights))
        names = probe.value(lambda: [str(v.name) for v in state])
        if not names:
            raise GradingFailure(
                f"the non-trainable weights of {name}", expected="the statistics it keeps",
                got="none", hint="create them with self.add_weight(..., trainable=False).",
            )
        before = probe.value(lambda: [v.numpy().copy() for v in state])
        probe.handle(lambda: call_layer(layer, sample_inputs(input_shape, seed=2), "an inference call", training=False))
        after_inference = probe.value(lambda: [v.numpy().copy() for v in state])
        changed = [n for n, old, new in zip(names, before, after_inference) if not np.array_equal(old, new)]
        if changed:
            raise GradingFailure(
                f"{', '.join(changed)} of {name} after a call with training=False",
                expected="unchanged", got="updated",
                hint="the statistics are updated at inference too: update them only `if training:`, "
                     "and at inference use them as they are.",
            )
        probe.handle(lambda: call_layer(layer, sample_inputs(input_shape, seed=3), "a training call", training=True))
        after_training = probe.value(lambda: [v.numpy() for v in state])
    if all(np.array_equal(old, new) for old, new in zip(before, after_training)):
        raise GradingFailure(
            f"the non-trainable weights of {name} after a call with training=True",
            expected="updated", got="unchanged",
            hint="update them in call() when training is true, e.g. self.moving_mean.assign(...).",
        )


def check_counter_advances(read_count, advance, checked, *, times=3):
    """`read_count()` grows by exactly one per `advance()` (e.g. one per training step)."""
    with observing("check_counter_advances") as probe:
        start = probe.value(lambda: _number(read_count()))
        probe.handle(lambda: [advance() for _ in range(times)])
        end = probe.value(lambda: _number(read_count()))
    grown = end - start
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


def _number(value):
    """A count read from a variable, a tensor or a number, as a plain number."""
    return np.asarray(getattr(value, "data", value)).item()


def _arguments_text(arguments):
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())
