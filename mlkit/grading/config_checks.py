"""Checks for notebook 03 (configuration and saving): configs that hold every
argument, `from_config` that reads what `get_config` wrote (or older
configs), and models that come back from a file predicting the same.

`check_config` (in `layer_state`) compares each given argument with its
config value; the checks here also cover arguments that were not passed
(their defaults must be saved too), arguments given as objects (an
activation function, an initializer), and a whole save-and-load cycle:

- `check_config_has_every_argument`: every parameter of `__init__` is a key;
- `check_config_round_trip`: `from_config(get_config())` recreates the same
  configuration, attributes and outputs, also for a frozen float64 layer;
- `check_save_and_load`: `model.save()` then `saving.load_model()` (in a
  temporary folder) gives the same predictions and weights, and says why
  not: a class that is not registered, weights created outside `build`,
  state kept in plain attributes, a config that cannot recreate the layer;
- `check_weights_load_into`: a weights file loads into a model built by code;
- `check_from_config_returns_the_subclass`, `check_model_config_loads`:
  `from_config` as a class method, and on configs written by an older version.

Each check observes the learner's layer through `observing` (see
probe_channel: at autograde what it saw travels as plain data) and judges
that; values that are not plain data are compared as the kernel compared them.

    >>> from mlkit import layers
    >>> check_config_has_every_argument(layers.Dense, {"units": 2})
"""

import inspect
import json
import os
import tempfile

import numpy as np

from mlkit.grading.checks import check_close, check_equal
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import as_numpy, call_layer, class_name, float64_layers, new_layer, sample_inputs
from mlkit.grading.probe_channel import Opaque, observing, require_trusted
from mlkit.layers import Layer


def check_config_has_every_argument(layer_class, arguments):
    """`layer_class(**arguments).get_config()` is a dict holding every parameter of
    `__init__` (also those left at their default), the base keys, and only JSON values."""
    require_trusted(arguments)
    with observing("check_config_has_every_argument") as probe:
        layer = probe.handle(lambda: new_layer(layer_class, **arguments))
        name = probe.value(lambda: class_name(layer))
        raw_config = probe.handle(lambda: layer.get_config())
        checked = f"{name}({_arguments_text(arguments)}).get_config()"
        described = probe.value(lambda: None if isinstance(raw_config, dict) else
                                f"{type(raw_config).__name__}: {raw_config!r}"[:2000])
        if described is not None:
            raise GradingFailure(checked, expected="a dict", got=str(described),
                                 hint="end get_config with `return config`.")
        keys = probe.value(lambda: list(raw_config))
        signature = probe.value(lambda: _init_parameters(type(layer)))
        # The base class's own arguments (name, dtype, activity_regularizer...) are its business.
        base = set(inspect.signature(Layer.__init__).parameters)
        parameters = [key for key in signature if key not in base]
        missing = [key for key in parameters if key not in keys]
        if missing:
            raise GradingFailure(
                checked, expected="a key for every argument of __init__: " + ", ".join(map(repr, parameters)),
                got="the keys " + ", ".join(map(repr, keys)),
                hint="add " + ", ".join(repr(key) for key in missing) + " to the config: from_config calls "
                     f"{name}(**config), so an argument missing from the config silently gets its default "
                     "when the layer is loaded.",
            )
        absent = [key for key in ("name", "trainable", "dtype") if key not in keys]
        if absent:
            raise GradingFailure(
                checked, expected="also the base class's keys 'name', 'trainable', 'dtype'",
                got=f"no {', '.join(repr(k) for k in absent)}",
                hint="start from the parent's config: config = super().get_config(), then config.update({...}).",
            )
        unstorable = probe.value(lambda: _unstorable_values(raw_config))
    if unstorable:
        key, (kind, text, call) = next(iter(unstorable.items()))
        raise GradingFailure(
            f"{checked}[{key!r}]", expected="a plain value that JSON can store (number, string, list, dict)",
            got=f"a {kind}: {text}",
            hint=f"store what recreates the object, not the object: {call}, "
                 "a string or a dict that the module's get() function reads back.",
        )


def _init_parameters(layer_class):
    """The names of the parameters of `layer_class.__init__` that can be given by keyword."""
    return [p.name for p in inspect.signature(layer_class.__init__).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _storable(value):
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _unstorable_values(config):
    """{key: (type name, repr, the call that would store it)} for each value JSON cannot store."""
    return {str(key): (type(value).__name__, repr(value), _serialize_call(value, key))
            for key, value in config.items() if not _storable(value)}


def check_config_round_trip(layer_class, arguments, input_shape, *, attributes=()):
    """`layer_class.from_config(layer.get_config())` gives a layer with the same config,
    the same `attributes` (compared through their configs when they have one), and,
    with the same weights, the same outputs. Checked on a frozen float64 layer too."""
    require_trusted(arguments, attributes)
    inputs = sample_inputs(input_shape, seed=2)
    with observing("check_config_round_trip") as probe:
        layer = probe.handle(lambda: new_layer(layer_class, **arguments))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, inputs, "the first call"))
        raw_config = probe.handle(lambda: layer.get_config())
        clone = probe.handle(lambda: _from_config(layer_class, raw_config, name))
        config, clone_config, reported = probe.value(lambda: _configs_and_differences(raw_config, clone.get_config()))
        differing = sorted(set(reported) | set(_differing_keys(config, clone_config, plain_only=True)))
        if differing:
            raise GradingFailure(
                f"{name}.from_config(config).get_config(), against the original config",
                expected={k: config.get(k) for k in differing}, got={k: clone_config.get(k) for k in differing},
                hint="__init__ must use every argument it receives, and get_config store each one as it was.",
            )
        for attribute in attributes:
            original, copied, reported = probe.value(lambda: _described_and_compared(
                getattr(layer, attribute), getattr(clone, attribute)))
            if _differ(original, copied, reported):
                kept_as_dict = probe.value(lambda: isinstance(getattr(clone, attribute), dict))
                raise GradingFailure(
                    f"the attribute {attribute} of {name} rebuilt from its config",
                    expected=original, got=copied,
                    hint=(f"__init__ keeps the stored config of {attribute} as a dict: turn it back into an object "
                          f"there, e.g. self.{attribute} = regularizers.get({attribute}) (or activations.get, "
                          "initializers.get)." if kept_as_dict is True else
                          f"get_config must store {attribute} completely, e.g. with its module's serialize() "
                          "function, so that from_config can rebuild the same object."),
                )
        got, expected = probe.value(lambda: _outputs_with_the_same_weights(layer, clone, inputs))
        got, expected = np.asarray(got), np.asarray(expected)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-5, atol=1e-6):
            raise GradingFailure(
                f"the outputs of {name} rebuilt from its config, given the same weights",
                expected="the outputs of the original layer", got="different outputs",
                hint="something that decides what the layer computes is missing from get_config.",
            )
        rebuilt_name, rebuilt_trainable, rebuilt_dtype = probe.value(
            lambda: _frozen_copy_rebuilt(layer_class, arguments, name))
    for key, want, got_value in [("name", "frozen_copy", rebuilt_name), ("trainable", False, rebuilt_trainable),
                                 ("dtype", "float64", rebuilt_dtype)]:
        if got_value != want:
            raise GradingFailure(
                f"{name}(..., name='frozen_copy', trainable=False, dtype='float64') rebuilt from its config: {key}",
                expected=want, got=got_value,
                hint="start from the parent's config (config = super().get_config()): it holds name, "
                     "trainable and dtype; and pass **kwargs on to super().__init__.",
            )


def _configs_and_differences(config, clone_config):
    """(the config, the clone's config, the keys where they differ)."""
    return config, clone_config, _differing_keys(config, clone_config)


def _differing_keys(first, second, plain_only=False):
    """The keys whose values differ; with `plain_only`, among values reported as plain data
    (the trusted grader compares those itself: the others, only the kernel could)."""
    keys = sorted(k for k in set(first) | set(second) if first.get(k) != second.get(k))
    return [k for k in keys if not _holds_opaque((first.get(k), second.get(k)))] if plain_only else keys


def _described_and_compared(original, copied):
    """(the description of each value, whether the descriptions differ)."""
    original, copied = _describe(original), _describe(copied)
    return original, copied, bool(original != copied)


def _differ(original, copied, reported):
    """Whether two described values differ: judged here when they are plain data."""
    if _holds_opaque((original, copied)):
        return reported is not False
    return original != copied


def _holds_opaque(value, depth=0):
    """Whether a reported value is, or holds, something that was not plain data."""
    if isinstance(value, Opaque):
        return True
    if depth > 20:
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds_opaque(item, depth + 1) for item in value)


def _outputs_with_the_same_weights(layer, clone, inputs):
    """(the clone's outputs, the layer's outputs) once the clone holds the layer's weights."""
    call_layer(clone, inputs, "the first call of the rebuilt layer")
    clone.set_weights(layer.get_weights())
    return as_numpy(clone(inputs)), as_numpy(layer(inputs))


def _frozen_copy_rebuilt(layer_class, arguments, name):
    """(name, trainable, dtype) of a frozen float64 layer rebuilt from its config."""
    with float64_layers():
        frozen = new_layer(layer_class, **arguments, trainable=False, name="frozen_copy", dtype="float64")
    rebuilt = _from_config(layer_class, frozen.get_config(), name)
    return rebuilt.name, rebuilt.trainable, str(rebuilt.dtype)


def check_from_config_returns_the_subclass(layer_class, *arguments, subclass_name, hint=None):
    """`from_config`, called on a subclass of `layer_class` (named `subclass_name`, made
    here), returns an instance of that subclass, for a layer made with `arguments`."""
    with observing("check_from_config_returns_the_subclass") as probe:
        got = probe.value(lambda: _class_from_config_of_a_subclass(layer_class, subclass_name, arguments))
        # Judged inside the block: check_equal judges this plain value, not a new one.
        check_equal(got, subclass_name, f"type({subclass_name}.from_config(config)).__name__", hint=hint)


def _class_from_config_of_a_subclass(layer_class, subclass_name, arguments):
    subclass = type(subclass_name, (layer_class,), {})
    return type(subclass.from_config(subclass(*arguments).get_config())).__name__


def check_model_config_loads(make_model, rewrite, *, custom_objects, read, expected, checked):
    """The config of `make_model()`, changed in place by `rewrite(config)` (as another
    version would have written it), rebuilds a model with `Sequential.from_config`,
    on which `read(model)` is close to `expected`."""
    require_trusted(expected)
    with observing("check_model_config_loads") as probe:
        got = probe.value(lambda: read(_rebuilt_from_a_rewritten_config(make_model, rewrite, custom_objects)))
        # Judged inside the block: check_close judges this plain value, not a new one.
        check_close(got, expected, checked)


def _rebuilt_from_a_rewritten_config(make_model, rewrite, custom_objects):
    import mlkit

    config = make_model().get_config()
    rewrite(config)
    return mlkit.Sequential.from_config(config, custom_objects=custom_objects)


def check_save_and_load(make_model, inputs, *, custom_objects=None, checked="the model"):
    """Save `make_model()` to a .keras file in a temporary folder and load it back with
    `saving.load_model` (with `custom_objects`, if any): the same predictions, the
    same weights. Returns the loaded model."""
    inputs = np.asarray(inputs, dtype="float32")
    with observing("check_save_and_load") as probe:
        model = probe.handle(make_model)
        expected = probe.value(lambda: as_numpy(model.predict(inputs, verbose=0)))
        loaded = probe.handle(lambda: _saved_and_loaded(model, custom_objects, checked))
        got = probe.value(lambda: as_numpy(loaded.predict(inputs, verbose=0)))
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-5, atol=1e-6):
        raise GradingFailure(
            f"the predictions of {checked} loaded from its file", expected="the predictions before saving",
            got="different predictions",
            hint="only weights (and the config) are saved: state kept in plain attributes (NumPy arrays, "
                 "numbers) is lost. Keep it in weights made with add_weight(..., trainable=False) and update "
                 "them with assign().",
        )
    return loaded


def check_weights_load_into(make_model, make_rebuilt, inputs, *, checked, rtol=1e-4):
    """The weights of `make_model()`, saved with `save_weights` (in a temporary folder) and
    loaded with `load_weights` into `make_rebuilt()`, a model built by code: the same predictions."""
    inputs = np.asarray(inputs, dtype="float32")
    with observing("check_weights_load_into") as probe:
        got, expected = probe.value(lambda: _predictions_after_load_weights(make_model, make_rebuilt, inputs))
        # Judged inside the block: check_close judges these plain values, not new ones.
        check_close(got, expected, checked, rtol=rtol)


def _predictions_after_load_weights(make_model, make_rebuilt, inputs):
    """(the rebuilt model's predictions, the original's), once the original's weights file is loaded."""
    original = make_model()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.weights.h5")
        original.save_weights(path)
        rebuilt = make_rebuilt()
        rebuilt.load_weights(path)
    return as_numpy(rebuilt.predict(inputs, verbose=0)), as_numpy(original.predict(inputs, verbose=0))


def _saved_and_loaded(model, custom_objects, checked):
    """`model` saved to a .keras file in a temporary folder, and loaded back."""
    from mlkit import saving

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        try:
            return saving.load_model(path, custom_objects=custom_objects)
        except (ValueError, TypeError) as error:
            raise GradingFailure(
                f"saving.load_model on a file saved from {checked}",
                got=f"{type(error).__name__}: {_first_sentences(error)}", hint=_load_hint(error),
            ) from None


def _from_config(layer_class, config, name):
    try:
        clone = layer_class.from_config(config)
    except Exception as error:
        raise GradingFailure(
            f"{name}.from_config({name}(...).get_config())", got=f"{type(error).__name__}: {_first_sentences(error)}",
            hint="get_config must return exactly what __init__ accepts: every argument, plus the parent's "
                 "keys (and __init__ must pass **kwargs on to super().__init__).",
        ) from None
    if not isinstance(clone, layer_class):
        raise GradingFailure(f"{name}.from_config(config)", expected=f"a {name}",
                             got=f"a {type(clone).__name__}: {clone!r}", hint="from_config must return the layer.")
    return clone


def _serialize_call(value, key):
    """'initializers.serialize(self.kernel_initializer)' — the call that stores `value`."""
    parts = getattr(value, "__module__", None) or type(value).__module__
    parts = parts.split(".")
    module = parts[1] if len(parts) > 1 and parts[0] == "mlkit" else "saving"
    function = "serialize_keras_object" if module == "saving" else "serialize"
    return f"{module}.{function}(self.{key})"


def _describe(value):
    """A comparable description: the config of objects that have one, else the value."""
    get_config = getattr(value, "get_config", None)
    if callable(get_config) and not isinstance(value, type):
        return {"class": type(value).__name__, **get_config()}
    if callable(value):
        return getattr(value, "__name__", repr(value))
    return value


def _load_hint(error):
    text = str(error)
    if "Unknown" in text:
        return ("the file names a class that load_model does not know: register it with "
                "@saving.register_keras_serializable(package=...) (or pass custom_objects={...}).")
    if "unexpected keyword argument" in text or "does not accept" in text or "Unrecognized keyword" in text:
        return ("__init__ does not accept every key of the config: give it a **kwargs parameter and pass it "
                "on, super().__init__(**kwargs) (the config holds name, trainable and dtype).")
    if "weights, but the model has" in text or "has shape" in text:
        return ("the model rebuilt from its config has other weights than the one you saved: create every "
                "weight in __init__ or build (which load_model runs), not in call or in another method.")
    return ("the layer cannot be rebuilt from its config: get_config must return every argument of "
            "__init__ (and the parent's keys).")


def _first_sentences(error, limit=400):
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _arguments_text(arguments):
    return ", ".join(f"{key}={_value_text(value)}" for key, value in arguments.items())


def _value_text(value):
    """'L2(l2=0.1)' for an object with a config, 'relu' for a function, else repr."""
    get_config = getattr(value, "get_config", None)
    if callable(get_config) and not isinstance(value, type):
        try:
            settings = ", ".join(f"{k}={v!r}" for k, v in get_config().items())
        except Exception:  # an object whose config cannot be read: its repr will do
            return repr(value)
        return f"{type(value).__name__}({settings})"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)
