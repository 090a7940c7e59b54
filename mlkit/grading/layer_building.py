"""Checks on how a learner's layer creates its weights.

The wrong answers they catch, each with its own message: weights created in
`__init__` (not lazy) or in `call` (re-created on every call), a missing
bias, weights in the wrong order or shape (transposed, or sized from
`input_shape[1]` or a fixed number instead of `input_shape[-1]`), the
wrong `trainable` flag, and `name`/`trainable`/`dtype` not passed on to
the base class.

    with grading.exercise("SimpleDense builds lazily"):
        grading.check_builds_lazily(lambda: SimpleDense(4), input_shape=(2, 3))
        grading.check_weights(SimpleDense(4), input_shape=(2, 3),
                              expected=[("kernel", (3, 4)), ("bias", (4,))])
"""

import numpy as np

from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import (
    as_numpy, call_layer, class_name, described, layer_or_new, new_layer, sample_inputs, weights_text,
)
from mlkit.grading.probe_channel import observing


def new_layer_without_weights(probe, make_layer, hint):
    """(a new layer from `make_layer`, its class name), observed by `probe`; fails with `hint`
    when the layer has weights before its first call (they depend on the input's shape)."""
    layer = probe.handle(lambda: new_layer(make_layer))
    name = probe.value(lambda: class_name(layer))
    weights = probe.value(lambda: described(layer.weights))
    if weights:
        raise GradingFailure(
            f"a new {name}, before its first call",
            expected="no weights yet (build() creates them on the first call)",
            got=f"{len(weights)} weights already: {weights_text(weights)}",
            hint=hint,
        )
    return layer, name


def check_builds_lazily(make_layer, input_shape):
    """No weights before the first call; `build(input_shape)` runs once, on the first call."""
    with observing("check_builds_lazily") as probe:
        layer, name = new_layer_without_weights(probe, make_layer, hint=(
            "the weights are created in __init__. Their shape depends on the input, which "
            "__init__ does not know: create them in build(self, input_shape)."))
        if probe.value(lambda: bool(layer.built)):
            raise GradingFailure(
                f"a new {name}, before its first call", expected="layer.built is False", got="True",
                hint="__init__ builds the layer itself (calls self.build?). Let the first call build it.",
            )
        shapes = []
        probe.handle(lambda: _record_builds(layer, shapes))
        inputs = sample_inputs(input_shape)
        probe.handle(lambda: call_layer(layer, inputs, "the first call"))
        if not probe.value(lambda: list(shapes)):
            raise GradingFailure(
                f"the first call of {name}", expected="build(input_shape) to run", got="build never ran",
                hint="do not override __call__: write the computation in call(); the base class's "
                     "__call__ runs build once, then call.",
            )
        if not probe.value(lambda: described(layer.weights)):
            raise GradingFailure(
                f"the weights of {name} after its first call", expected="the weights build() created",
                got="no weights",
                hint="create the weights with self.add_weight(...) (and keep them, e.g. "
                     "self.kernel = self.add_weight(...)). NumPy arrays are not tracked as weights.",
            )
        probe.handle(lambda: call_layer(layer, inputs, "the second call"))
        shapes = probe.value(lambda: list(shapes))
    if len(shapes) != 1:
        raise GradingFailure(
            f"how often build() ran in two calls of {name}", expected=1, got=len(shapes),
            hint="build() is called by __call__ only once; don't call self.build yourself.",
        )
    if shapes[0] != tuple(input_shape):
        raise GradingFailure(
            f"the shape build() received on the first call of {name}",
            expected=tuple(input_shape), got=shapes[0],
        )


def _record_builds(layer, shapes):
    """Make `layer.build` append each shape it receives to `shapes`."""
    build = layer.build

    def recording_build(shape):
        shapes.append(tuple(shape))
        return build(shape)

    layer.build = recording_build


def check_weights_created_once(make_layer, input_shape):
    """The same weights after a second call, trainable values unchanged (not re-created by call).

    Non-trainable weights that change are taken as state the layer updates
    (then the outputs may differ too).
    """
    inputs = sample_inputs(input_shape)
    with observing("check_weights_created_once") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        first_output = probe.value(lambda: as_numpy(call_layer(layer, inputs, "the first call")))
        first_weights = probe.handle(lambda: list(layer.weights))
        before = probe.value(lambda: [(v.name, v.numpy().copy(), bool(v.trainable)) for v in first_weights])
        second_output = probe.value(lambda: as_numpy(call_layer(layer, inputs, "the second call")))
        same_objects = probe.value(lambda: len(layer.weights) == len(first_weights)
                                   and all(a is b for a, b in zip(layer.weights, first_weights)))
        after_text = probe.value(lambda: weights_text(layer.weights))
        after_values = probe.value(lambda: [v.numpy() for v in layer.weights])
    recreated_hint = ("weights are created again on every call: create them once, in build "
                      "(which runs only on the first call); call() should only use them.")
    if same_objects is not True:
        raise GradingFailure(
            f"the weights of {name} after a second call on the same inputs",
            expected=f"the same weights as after the first call: "
                     f"{weights_text([(n, np.shape(v)) for n, v, _ in before])}",
            got=f"new weight objects: {after_text}",
            hint=recreated_hint,
        )
    # Non-trainable weights may be state that call() updates on purpose (a running
    # sum, moving statistics); only trainable ones must keep their values.
    state_changed = False
    for (weight_name, value, trainable), now in zip(before, after_values):
        if np.array_equal(now, value):
            continue
        if not trainable:
            state_changed = True
            continue
        raise GradingFailure(
            f"the value of weight {weight_name!r} of {name} after a second call",
            expected="unchanged (calling a layer must not change its trainable weights)",
            got="new values", hint=recreated_hint,
        )
    if state_changed:
        return
    first_output, second_output = np.asarray(first_output), np.asarray(second_output)
    if first_output.shape != second_output.shape or not np.allclose(first_output, second_output):
        raise GradingFailure(
            f"the outputs of {name} for the same inputs, called twice",
            expected="the same output both times", got="different outputs",
            hint="something in call() changes between calls: weights re-created with new random "
                 "values, or state that call() modifies.",
        )


def check_weights(layer, expected, input_shape=None):
    """`layer.weights` are `expected`: a list of (name, shape) or (name, shape, trainable).

    The layer is called on inputs of `input_shape` first if it is not built.
    """
    with observing("check_weights") as probe:
        layer = probe.handle(lambda: layer_or_new(layer))
        name = probe.value(lambda: class_name(layer))
        if not probe.value(lambda: bool(layer.built)) and input_shape is not None:
            probe.handle(lambda: call_layer(layer, sample_inputs(input_shape), "the first call"))
        weights = probe.value(lambda: described(layer.weights))
        built = probe.value(lambda: bool(layer.built))
    expected = [tuple(item) + (None,) * (3 - len(item)) for item in expected]
    expected_text = ", ".join(f"{n} {tuple(s)}" for n, s, _ in expected)
    names = [n for n, _, _ in weights]
    expected_names = [n for n, _, _ in expected]
    checked = f"the weights of {name} (layer.weights, in order)"

    doubled = sorted({n for n in names if names.count(n) > 1})
    missing = [n for n in expected_names if n not in names]
    extra = [n for n in names if n not in expected_names]
    if doubled:
        raise GradingFailure(
            checked, expected=expected_text, got=weights_text(weights),
            hint=f"{', '.join(doubled)} is created twice (in __init__ and in build? or on every "
                 "call?): create each weight once, in build.",
        )
    if missing:
        if built is not True and not weights:
            hint = ("this layer creates its weights in __init__ (their shape does not depend on "
                    "the input), so they exist before the first call: use self.add_weight there.")
        elif extra:
            hint = (f"give each weight the name the exercise asks for: "
                    f"self.add_weight(..., name={missing[0]!r}).")
        elif "bias" in missing:
            hint = ("the bias is missing: create it in build with self.add_weight(shape=(self.units,), "
                    "initializer='zeros', name='bias') and add it in call.")
        else:
            hint = f"create {', '.join(missing)} with self.add_weight(..., name=...)."
        raise GradingFailure(checked, expected=expected_text, got=weights_text(weights), hint=hint)
    if extra:
        raise GradingFailure(
            checked, expected=expected_text, got=weights_text(weights),
            hint=f"only the weights the exercise asks for: {', '.join(extra)} is extra.",
        )
    flags = {weight_name: got_trainable for weight_name, _, got_trainable in weights}
    for weight_name, _, trainable in expected:
        if trainable is not None and flags[weight_name] is not trainable:
            # Checked before the order: a weight created non-trainable is listed after the trainable ones.
            _raise_wrong_trainable(name, weight_name, trainable, flags[weight_name])
    if names != expected_names:
        raise GradingFailure(
            checked, expected=expected_text, got=weights_text(weights),
            hint="layer.weights lists the weights in the order add_weight created them (trainable "
                 f"ones first): create {expected_names[0]} before {expected_names[1]}"
                 if len(expected_names) > 1 else None,
        )
    for (_, got_shape, got_trainable), (weight_name, shape, trainable) in zip(weights, expected):
        shape = tuple(shape)
        if tuple(got_shape) != shape:
            raise GradingFailure(
                f"the shape of weight {weight_name!r} of {name}", expected=shape, got=tuple(got_shape),
                hint=_shape_hint(weight_name, tuple(got_shape), shape, input_shape),
            )


def _raise_wrong_trainable(name, weight_name, trainable, got_trainable):
    hint = (
        "pass trainable=False to add_weight: this weight is state the layer updates "
        "itself, not a parameter for the optimizer." if not trainable else
        "this weight is learned, so it must be trainable (add_weight's default: do not "
        "pass trainable=False)."
    )
    raise GradingFailure(
        f"whether weight {weight_name!r} of {name} is trainable",
        expected=trainable, got=got_trainable, hint=hint,
    )


def check_weight_shapes(make_layer, input_shape, expected):
    """A fresh layer built for inputs of `input_shape` has weights of the `expected` shapes.

    `expected` maps weight names to shapes, e.g. {"kernel": (6, 5), "bias": (5,)}.
    Use an input with three axes to catch `input_shape[1]` instead of `input_shape[-1]`.
    """
    with observing("check_weight_shapes") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        # As the first call would, without running call() on them.
        probe.handle(lambda: layer.build(tuple(input_shape)))
        weights = probe.value(lambda: described(layer.weights))
    shapes = {weight_name: tuple(shape) for weight_name, shape, _ in weights}
    for weight_name, shape in expected.items():
        shape = tuple(shape)
        if weight_name not in shapes:
            raise GradingFailure(
                f"the weights of {name} built for inputs of shape {tuple(input_shape)}",
                expected=f"a weight named {weight_name!r}", got=weights_text(weights),
                hint=f"create it with self.add_weight(..., name={weight_name!r}).",
            )
        if shapes[weight_name] != shape:
            raise GradingFailure(
                f"the shape of weight {weight_name!r} of {name} built for inputs "
                f"of shape {tuple(input_shape)}",
                expected=shape, got=shapes[weight_name],
                hint=_shape_hint(weight_name, shapes[weight_name], shape, tuple(input_shape)),
            )


INITIAL_VALUES = {
    "zeros": "all zeros",
    "ones": "all ones",
    "glorot_uniform": "random values, uniform within ±sqrt(6 / (fan_in + fan_out))",
}


def check_initial_weights(make_layer, input_shape, expected):
    """A fresh layer built for inputs of `input_shape` starts each weight as its initializer says.

    `expected` maps weight names to "zeros", "ones" or "glorot_uniform" (the
    kernel's fans are its first and last sizes; give it 20 values or more, so
    that its spread can be judged).
    """
    with observing("check_initial_weights") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: layer.build(tuple(input_shape)) if not layer.built else None)
        values = probe.value(lambda: {str(v.name): v.numpy() for v in layer.weights})
    for weight_name, initializer in expected.items():
        if weight_name not in values:
            raise GradingFailure(
                f"the weights of {name} built for inputs of shape {tuple(input_shape)}",
                expected=f"a weight named {weight_name!r}", got=", ".join(values) or "no weights",
                hint=f"create it with self.add_weight(..., name={weight_name!r}).",
            )
        value = np.asarray(values[weight_name], dtype="float64")
        if _starts_as(value, initializer):
            continue
        hint = (f"{weight_name} starts from another initializer than the exercise asks for: pass "
                f"initializer={initializer!r} to add_weight (and nothing that overwrites it).")
        if initializer == "glorot_uniform" and value.size and np.all(value == value.flat[0]):
            hint += (" A constant kernel gives every unit the same output and the same gradient, "
                     "so the units never become different.")
        raise GradingFailure(
            f"the starting values of weight {weight_name!r} of a new {name}",
            expected=f"{INITIAL_VALUES[initializer]} (initializer={initializer!r})",
            got=_values_text(value), hint=hint,
        )


def _starts_as(value, initializer):
    if initializer == "zeros":
        return bool(np.all(value == 0))
    if initializer == "ones":
        return bool(np.all(value == 1))
    if initializer != "glorot_uniform":
        raise ValueError(f"check_initial_weights: unknown initializer {initializer!r}")
    if value.ndim < 1 or value.size < 2:
        return False
    fan_in, fan_out = (value.shape[0], value.shape[-1]) if value.ndim > 1 else (value.shape[0], value.shape[0])
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    spread = value.std()
    inside = bool(np.all(np.abs(value) <= limit * (1 + 1e-6)))
    if value.size < 20:  # too few values to judge their spread: only not constant
        return inside and spread > 0
    # Uniform in ±limit: every value inside, with a spread near limit / sqrt(3).
    return inside and 0.4 * limit / np.sqrt(3) < spread < 1.6 * limit / np.sqrt(3)


def _values_text(value):
    if value.size and np.all(value == value.flat[0]):
        word = {0.0: "zeros", 1.0: "ones"}.get(float(value.flat[0]))
        return f"all {word}" if word else f"every value {value.flat[0]:.4g}"
    return f"values from {value.min():.4g} to {value.max():.4g} (standard deviation {value.std():.4g})"


def check_forwards_base_arguments(make_layer, input_shape):
    """`name=`, `trainable=False` and `dtype=` given to the constructor reach the base class.

    `make_layer(**kwargs)` must pass the keyword arguments on, e.g.
    `lambda **kwargs: SimpleDense(4, **kwargs)`.
    """
    hint = ("give __init__ a `**kwargs` parameter and pass it on: super().__init__(**kwargs). "
            "The base class handles name, trainable and dtype.")
    with observing("check_forwards_base_arguments") as probe:
        made = probe.handle(lambda: _new_layer_or_type_error(make_layer))
        type_error = probe.value(lambda: str(made) if isinstance(made, TypeError) else None)
        if type_error is not None:
            raise GradingFailure(
                "creating the layer with name='my_layer', trainable=False, dtype='float64'",
                expected="a layer", got=f"TypeError: {type_error}", hint=hint,
            )
        layer = made
        name = probe.value(lambda: class_name(layer))
        layer_name = probe.value(lambda: str(layer.name))
        if layer_name != "my_layer":
            raise GradingFailure(f"the name of {name}(..., name='my_layer')", expected="my_layer",
                                 got=layer_name, hint=hint)
        probe.handle(lambda: call_layer(layer, sample_inputs(input_shape), "the first call"))
        trainable = probe.value(lambda: bool(layer.trainable))
        trainable_weights = probe.value(lambda: described(layer.trainable_weights))
        dtypes = probe.value(lambda: [(str(v.name), str(np.dtype(v.dtype))) for v in layer.weights])
    if trainable or trainable_weights:
        raise GradingFailure(
            f"the trainable weights of {name}(..., trainable=False)", expected="none (the layer is frozen)",
            got=weights_text(trainable_weights) if trainable_weights else "layer.trainable is True",
            hint=hint,
        )
    wrong = [(weight, dtype) for weight, dtype in dtypes if np.dtype(dtype).kind == "f" and dtype != "float64"]
    if wrong:
        raise GradingFailure(
            f"the dtype of the weights of {name}(..., dtype='float64')", expected="float64",
            got=", ".join(f"{weight}: {dtype}" for weight, dtype in wrong),
            hint=hint + " Don't pass dtype= to add_weight: it defaults to the layer's dtype.",
        )


def _new_layer_or_type_error(make_layer):
    try:
        return new_layer(make_layer, name="my_layer", trainable=False, dtype="float64")
    except TypeError as error:
        return error


def _shape_hint(weight_name, got, expected, input_shape):
    if len(got) == len(expected) + 1 and got[0] == 1 and tuple(got[1:]) == tuple(expected):
        return (f"{weight_name} has an extra axis of size 1: shape {tuple(expected)} is enough, "
                "broadcasting applies it to every example of the batch.")
    if len(got) == 2 and got == expected[::-1] and got != expected:
        return (f"{weight_name} is transposed: its shape is (input features, units) = "
                "(input_shape[-1], self.units), so that inputs @ kernel works.")
    if input_shape and expected and got and expected[0] == input_shape[-1] and got[0] != expected[0]:
        if got[0] in input_shape[:-1]:
            axis = list(input_shape).index(got[0])
            return (f"the size comes from input_shape[{axis}]; the features are on the last axis: "
                    "use input_shape[-1], which works for inputs with any number of axes.")
        return "the size does not follow the input: take it from input_shape[-1], not a fixed number."
    return None
