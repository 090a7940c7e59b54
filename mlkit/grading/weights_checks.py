"""Checks for notebook 02 (weights and state): which weights a layer tracks,
in what order, which ones train, and what freezing does.

`check_weights` (in `layer_building`) identifies weights by name; a layer
that nests other layers has several weights called "kernel", so the checks
here identify them by position in `layer.weights` instead. They catch:
sublayers that are not tracked (kept in a local variable, or created in
`call`), a layer meant to be shared that is created once per use, a shared
layer whose input size changes between uses, weights in the wrong order,
a weight frozen by hand after `add_weight` (which unfreezing the layer
trains again), and weights that `fit` moves although they should stay put.

    >>> from mlkit import layers
    >>> check_weight_list(layers.Dense(2), input_shape=(1, 3),
    ...                   expected=[((3, 2), True), ((2,), True)])
    >>> try:
    ...     check_weight_list(layers.Dense(2, use_bias=False), input_shape=(1, 3),
    ...                       expected=[((3, 2), True), ((2,), True)])
    ... except GradingFailure as failure:
    ...     print(failure.got)
    1 weights: kernel (3, 2)
"""

import numpy as np

from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import (
    as_numpy, call_layer, class_name, described, layer_or_new, new_layer, sample_inputs,
)
from mlkit.grading.probe_channel import observing


def check_weight_list(layer, expected, input_shape=None, *, too_many_hint=None, too_few_hint=None,
                      order_hint=None):
    """`layer.weights` holds, in order, weights of the `expected` (shape, trainable) pairs.

    `layer` is a layer or a zero-argument factory; it is called on inputs of
    `input_shape` first if it is not built. The hints explain a list that is
    too long, too short, or right but in another order.
    """
    with observing("check_weight_list") as probe:
        layer = probe.handle(lambda: layer_or_new(layer))
        name = probe.value(lambda: class_name(layer))
        if not probe.value(lambda: bool(layer.built)) and input_shape is not None:
            probe.handle(lambda: _call(layer, sample_inputs(input_shape), "the first call"))
        weights = probe.value(lambda: described(layer.weights))
    expected = [(tuple(shape), trainable) for shape, trainable in expected]
    checked = f"the weights of {name} (layer.weights, in order: shape, trainable)"
    got_text = f"{len(weights)} weights: {_weights_text(weights)}"
    expected_text = f"{len(expected)} weights: " + ", ".join(
        f"{shape}{'' if trainable else ' non-trainable'}" for shape, trainable in expected)
    if len(weights) > len(expected):
        raise GradingFailure(checked, expected=expected_text, got=got_text, hint=too_many_hint)
    if len(weights) < len(expected):
        raise GradingFailure(checked, expected=expected_text, got=got_text, hint=too_few_hint)
    shapes = [tuple(shape) for _, shape, _ in weights]
    if shapes != [shape for shape, _ in expected]:
        same_set = sorted(shapes, key=str) == sorted((s for s, _ in expected), key=str)
        raise GradingFailure(checked, expected=expected_text, got=got_text,
                             hint=order_hint if same_set else None)
    for index, ((weight_name, _, got_trainable), (shape, trainable)) in enumerate(zip(weights, expected)):
        if trainable is not None and got_trainable is not trainable:
            raise GradingFailure(
                f"whether weight {index} of {name} ({weight_name} {shape}) is trainable",
                expected=trainable, got=got_trainable,
                hint=("create it with add_weight(..., trainable=False)." if not trainable else
                      "this weight must be trainable."),
            )


def check_trainable_split(layer, trainable, non_trainable, input_shape=None):
    """`trainable_weights` and `non_trainable_weights` hold the weights named in each list,
    and `weights` lists the trainable ones first."""
    with observing("check_trainable_split") as probe:
        layer = probe.handle(lambda: layer_or_new(layer))
        name = probe.value(lambda: class_name(layer))
        if not probe.value(lambda: bool(layer.built)) and input_shape is not None:
            probe.handle(lambda: call_layer(layer, sample_inputs(input_shape), "the first call"))
        got_trainable = probe.value(lambda: [str(v.name) for v in layer.trainable_weights])
        got_non_trainable = probe.value(lambda: [str(v.name) for v in layer.non_trainable_weights])
        names = probe.value(lambda: [str(v.name) for v in layer.weights])
    if got_trainable != list(trainable) or got_non_trainable != list(non_trainable):
        wrongly_trained = [n for n in got_trainable if n in non_trainable]
        wrongly_frozen = [n for n in got_non_trainable if n in trainable]
        hint = None
        if wrongly_trained:
            hint = (f"{', '.join(wrongly_trained)} must not be trained here: pass "
                    "trainable=False to add_weight when you create it.")
        elif wrongly_frozen:
            hint = (f"{', '.join(wrongly_frozen)} must be trained here: check the value you pass as "
                    "add_weight(..., trainable=...) (its default is True).")
        elif missing := [n for n in list(trainable) + list(non_trainable) if n not in got_trainable + got_non_trainable]:
            hint = (f"{', '.join(missing)} is missing: with the arguments this layer was given (check the "
                    "defaults of __init__ against the exercise), build() must create it.")
        raise GradingFailure(
            f"the trainable and non-trainable weights of {name}",
            expected=f"trainable: {list(trainable)}; non-trainable: {list(non_trainable)}",
            got=f"trainable: {got_trainable}; non-trainable: {got_non_trainable}", hint=hint,
        )
    if names != list(trainable) + list(non_trainable):
        raise GradingFailure(
            f"the order of {name}.weights",
            expected=list(trainable) + list(non_trainable), got=names,
            hint="the weight was created trainable and switched off afterwards (weight.trainable = "
                 "False): the layer still files it among its trainable weights, and unfreezing the "
                 "layer would train it again. Create it with add_weight(..., trainable=False).",
        )


def check_freeze_and_unfreeze(make_layer, input_shape):
    """`layer.trainable = False` leaves nothing to train; `= True` restores every weight's own flag."""
    with observing("check_freeze_and_unfreeze") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, sample_inputs(input_shape), "the first call"))
        flags = probe.value(lambda: [(str(v.name), bool(v.trainable)) for v in layer.weights])
        probe.handle(lambda: setattr(layer, "trainable", False))
        frozen_trainable = probe.value(lambda: described(layer.trainable_weights))
        if frozen_trainable:
            raise GradingFailure(
                f"{name}.trainable_weights after layer.trainable = False",
                expected="[] (a frozen layer trains nothing)", got=_weights_text(frozen_trainable),
            )
        probe.handle(lambda: setattr(layer, "trainable", True))
        flags_after = probe.value(lambda: [bool(v.trainable) for v in layer.weights])
    changed = [weight for (weight, flag), now in zip(flags, flags_after) if now is not flag]
    if changed:
        raise GradingFailure(
            f"the weights of {name} after freezing it (trainable = False) and unfreezing it again",
            expected="each weight trainable as before: " + ", ".join(f"{w}: {flag}" for w, flag in flags),
            got=", ".join(f"{w}: {now}" for (w, _), now in zip(flags, flags_after)),
            hint=f"{', '.join(changed)} was frozen by hand after add_weight (weight.trainable = False), so "
                 "unfreezing the layer trains it again. Create it with add_weight(..., trainable=False).",
        )


def check_fit_moves(make_layer, input_shape, moving, fixed, *, steps=3):
    """A few steps of `fit` (SGD, mean squared error) change the weights named in `moving`
    and leave those in `fixed` exactly as they were."""
    x = sample_inputs(input_shape, seed=5)
    with observing("check_fit_moves") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        outputs = probe.handle(lambda: as_numpy(call_layer(layer, x, "the first call")))
        before = probe.value(lambda: {str(v.name): v.numpy().copy() for v in layer.weights})
        probe.handle(lambda: _fit(layer, x, outputs, input_shape, steps))
        after = probe.value(lambda: {str(v.name): v.numpy() for v in layer.weights})
    for weight in fixed:
        if weight in after and not np.array_equal(before.get(weight), after[weight]):
            raise GradingFailure(
                f"weight {weight!r} of {name} after {steps} steps of fit()",
                expected="unchanged (it is not trainable)", got="changed by the optimizer",
                hint=f"the optimizer trains every weight in trainable_weights: create {weight} with "
                     "add_weight(..., trainable=False).",
            )
    for weight in moving:
        if weight in after and np.array_equal(before.get(weight), after[weight]):
            raise GradingFailure(
                f"weight {weight!r} of {name} after {steps} steps of fit()",
                expected="changed by the optimizer", got="unchanged",
                hint=f"{weight} must be trainable, and call() must use it (computed with ops).",
            )


def _fit(layer, x, outputs, input_shape, steps):
    """`steps` epochs of SGD on mean squared error towards random targets, the layer in a model."""
    import mlkit

    y = np.random.default_rng(6).normal(size=outputs.shape).astype("float32")
    model = mlkit.Sequential([mlkit.Input(shape=tuple(input_shape[1:])), layer])
    model.compile(optimizer=mlkit.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=steps, batch_size=len(x), verbose=0, shuffle=False)


def check_layer_output_ordered(layer, inputs, expected, *, mistakes=None, rtol=1e-4, atol=1e-5):
    """The output equals `expected(x, weights)`, `weights` being the values of
    `layer.weights` in order (set to random numbers first); `mistakes` as in
    `check_layer_output`. For layers whose weights share names (nested layers)."""
    from mlkit.grading.checks import check_close

    x = np.asarray(inputs, dtype="float32")
    with observing("check_layer_output_ordered") as probe:
        layer = probe.handle(lambda: layer_or_new(layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: _call(layer, x, "the first call"))
        probe.handle(lambda: _randomize(layer.weights))
        values = [np.asarray(value) for value in probe.value(lambda: [v.numpy() for v in layer.weights])]
        got = np.asarray(probe.value(lambda: as_numpy(_call(layer, x, "a call"))))
        try:
            want = np.asarray(expected(x, values))
        except (IndexError, ValueError) as error:
            raise GradingFailure(
                f"the output of {name}", problem=f"The expected output cannot be computed from your "
                f"layer's weights ({error}).",
                hint="the weights do not have the shapes or order the exercise asks for: see the test of the weights.",
            ) from None
        hint = None
        if not (got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol)):
            for description, wrong in (mistakes or {}).items():
                try:
                    candidate = np.asarray(wrong(x, values))
                except Exception:  # a wrong answer that cannot be computed for this layer
                    continue
                if candidate.shape == got.shape and np.allclose(got, candidate, rtol=rtol, atol=atol):
                    hint = description
                    break
        check_close(got, want, f"the output of {name} for inputs of shape {x.shape} (weights set to random values)",
                    rtol=rtol, atol=atol, hint=hint)


def _randomize(weights):
    rng = np.random.default_rng(11)
    for variable in weights:
        variable.assign(rng.normal(scale=0.5, size=variable.shape).astype(variable.dtype))


def _call(layer, inputs, during):
    """`layer(inputs)`; a sublayer fed inputs of a new size is explained as a sharing mistake."""
    try:
        return call_layer(layer, inputs, during)
    except ValueError as error:
        if "is incompatible with the layer" not in str(error):
            raise
        raise GradingFailure(
            f"{during} of {class_name(layer)}", got=f"an error: {str(error).split(' The layer was built')[0]}",
            hint="a layer used several times received inputs of different sizes. A shared layer is built "
                 "for the size of its first input: it must get inputs of that same size every time (a Dense "
                 "layer applied to its own output needs as many units as it has inputs).",
        ) from None


def _weights_text(weights):
    """'kernel (3, 2), total () non-trainable', from `described` weights."""
    return ", ".join(
        f"{name} {tuple(shape)}{'' if trainable else ' non-trainable'}" for name, shape, trainable in weights
    ) or "no weights"
