"""Checks on what a learner's layer computes: values, shapes and gradients.

    with grading.exercise("SimpleDense computes inputs @ kernel + bias"):
        grading.check_layer_output(
            lambda: SimpleDense(3), inputs=np.ones((2, 4)),
            expected=lambda x, w: x @ w["kernel"] + w["bias"],
            mistakes={"the bias is not added": lambda x, w: x @ w["kernel"]})

Values are compared after the weights are set to random numbers, so a
zero-initialized bias cannot hide a bias that is never added. Plausible
wrong answers (`mistakes`) are computed too: when the output matches one,
the message names that mistake.
"""

import numpy as np

from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import (
    as_numpy, call_layer, class_name, float64_layers, layer_or_new, new_layer, sample_inputs,
)
from mlkit.grading.probe_channel import observing
from mlkit.layers import Layer
from mlkit.ops.tensor import Tensor
from mlkit.utils.gradient_check import gradient_disagreement, gradients_both_ways

NOT_DIFFERENTIABLE_HINT = (
    "part of the computation leaves mlkit.ops (np.* functions, .numpy(), float(...)), so the "
    "gradient cannot flow back through it: compute with ops (ops.matmul, ops.add, ...)."
)


def check_layer_output(layer, inputs, expected, *, mistakes=None, randomize_weights=True,
                       rtol=1e-4, atol=1e-5):
    """The layer's output equals `expected(x, weights)`.

    `layer` is a layer or a zero-argument factory; `weights` maps each weight's
    name to its value (a NumPy array); `mistakes` maps a description of a
    plausible wrong answer to a function computing it the same way.
    """
    x = np.asarray(inputs, dtype="float32")
    with observing("check_layer_output") as probe:
        layer = probe.handle(lambda: layer_or_new(layer))
        name = probe.value(lambda: class_name(layer))
        probe.handle(lambda: call_layer(layer, x, "the first call"))
        if randomize_weights:
            probe.handle(lambda: _randomize(layer.weights))
        weights = probe.value(lambda: {str(variable.name): variable.numpy() for variable in layer.weights})
        got = probe.value(lambda: as_numpy(call_layer(layer, x, "a call")))
        # Judged inside the block: check_close below then judges these values, not new ones.
        weights = {key: np.asarray(value) for key, value in weights.items()}
        got = np.asarray(got)
        compare_output(name, got, x, weights, expected, mistakes, rtol, atol,
                       checked=f"the output of {name} for inputs of shape {x.shape}")


def compare_output(name, got, inputs, weights, expected, mistakes, rtol, atol, checked,
                   weights_called="weights"):
    """`got` (a layer's output on `inputs`) equals `expected(inputs, weights)`; when it does not,
    the first of `mistakes` that `got` matches is the hint. `weights` maps names to arrays."""
    try:
        want = np.asarray(expected(inputs, weights))
    except KeyError as missing:
        raise GradingFailure(
            f"the weights of {name}", expected=f"a weight named {missing}",
            got=", ".join(weights) or "no weights",
            hint=f"the layer has no weight named {missing}: create it with "
                 f"self.add_weight(..., name={missing}) (or fix the name you gave it).",
        ) from None
    except (ValueError, TypeError, IndexError):
        raise GradingFailure(
            f"the output of {name}, computed from its own weights",
            problem="The expected output cannot be computed from your layer's weights: their shapes do not fit.",
            got=", ".join(f"{key} {value.shape}" for key, value in weights.items()) or "no weights",
            hint=f"the {weights_called} do not have the shapes the exercise asks for: see the test of the weights.",
        ) from None
    if got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol):
        return
    hint = None
    for description, wrong in (mistakes or {}).items():
        try:
            candidate = np.asarray(wrong(inputs, weights))
        except Exception:  # a wrong answer that cannot be computed for these inputs
            continue
        if candidate.shape == got.shape and np.allclose(got, candidate, rtol=rtol, atol=atol):
            hint = description
            break
    check_close(got, want, f"{checked} (weights set to random values)", rtol=rtol, atol=atol, hint=hint)


def _randomize(weights):
    """Random values in every float weight, so that a zero bias cannot hide a bias never added."""
    rng = np.random.default_rng(7)
    for variable in weights:
        if np.dtype(variable.dtype).kind == "f":
            variable.assign(rng.normal(size=variable.shape).astype(variable.dtype))


def check_output_shape(make_layer, input_shape, expected, *, must_override=True):
    """`compute_output_shape(input_shape)` is `expected`, before the layer is built,
    and agrees with the shape `call` really returns."""
    input_shape = tuple(input_shape)
    expected = tuple(expected)
    concrete = tuple(2 if size is None else size for size in input_shape)
    with observing("check_output_shape") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        inherited = probe.value(lambda: type(layer).compute_output_shape is Layer.compute_output_shape)
        if must_override and inherited is not False:
            raise GradingFailure(
                f"whether {name} defines compute_output_shape", expected="its own method",
                got="none (it uses the base class's, which has to run the layer on placeholder data)",
                hint="add `def compute_output_shape(self, input_shape):` returning the output shape "
                     "computed from input_shape and the layer's settings.",
            )
        checked = f"{name}.compute_output_shape({input_shape}) on a layer not built yet"
        got, attribute_error = probe.value(lambda: _output_shape_or_attribute_error(layer, input_shape))
        if attribute_error is not None:
            raise GradingFailure(
                checked, expected=expected, got=f"AttributeError: {attribute_error}",
                hint="compute_output_shape must work before build (there are no weights yet): "
                     "compute from input_shape and settings such as self.units, not from self.kernel.",
            )
        if not isinstance(got, tuple):
            raise GradingFailure(
                checked, expected=f"a tuple {expected}", got=f"a {type(got).__name__}: {got!r}",
                hint="return a tuple, e.g. tuple(input_shape[:-1]) + (self.units,).",
            )
        if got != expected:
            raise GradingFailure(checked, expected=expected, got=got,
                                 hint=_output_shape_hint(input_shape, expected, got))
        real = probe.value(lambda: tuple(as_numpy(call_layer(layer, sample_inputs(concrete), "a call")).shape))
        predicted = probe.value(lambda: tuple(layer.compute_output_shape(concrete)))
    if real != predicted:
        raise GradingFailure(
            f"{name}.compute_output_shape({concrete}) against the output of a real call",
            expected=real, got=predicted,
            hint="compute_output_shape must describe what call returns.",
        )


def _output_shape_or_attribute_error(layer, input_shape):
    try:
        return layer.compute_output_shape(input_shape), None
    except AttributeError as error:
        return None, str(error)


def check_layer_gradients(make_layer, input_shape, *, call_kwargs=None):
    """Backprop through the layer matches finite differences, for inputs and trainable weights.

    The whole check runs in float64 (the default float type is switched, then
    restored, even on failure): finite differences need the precision, also
    for sublayers a layer creates in build().
    """
    call_kwargs = call_kwargs or {}
    x = sample_inputs(input_shape, seed=3, dtype="float64")
    with float64_layers(), observing("check_layer_gradients") as probe:
        layer = probe.handle(lambda: new_layer(make_layer))
        name = probe.value(lambda: class_name(layer))
        outputs = probe.handle(lambda: call_layer(layer, x, "the first call", **call_kwargs))
        returned = probe.value(lambda: type(outputs).__name__ if not isinstance(outputs, Tensor) else None)
        if returned is not None:
            raise GradingFailure(
                f"what {name}.call returns", expected="a tensor computed with mlkit.ops",
                got=f"a {returned}", hint=NOT_DIFFERENTIABLE_HINT,
            )
        # Both gradients are computed where the layer is; they are compared here.
        pairs = probe.value(lambda: gradients_both_ways(
            lambda inputs: layer(inputs, **call_kwargs), [x] + list(layer.trainable_weights)))
    problem = gradient_disagreement(pairs)
    if problem is not None:
        raise GradingFailure(f"the gradients of {name} (inputs and trainable weights)",
                             problem=str(problem), hint=NOT_DIFFERENTIABLE_HINT)


def check_gradients(function, sources, checked, *, hint=NOT_DIFFERENTIABLE_HINT):
    """`mlkit.utils.gradient_check.check_gradients`, failing with an explanation."""
    with observing("check_gradients") as probe:
        pairs = probe.value(lambda: gradients_both_ways(function, sources))
    problem = gradient_disagreement(pairs)
    if problem is not None:
        raise GradingFailure(checked, problem=str(problem), hint=hint)


def _output_shape_hint(input_shape, expected, got):
    if len(got) == len(expected) and any(e is None and g is not None for e, g in zip(expected, got)):
        return "keep None where a size is unknown (the batch axis): copy it from input_shape."
    if len(input_shape) > 2 and len(got) == 2 and got == (expected[0], expected[-1]):
        return ("only the first and last axes are kept: keep every axis but the last, "
                "tuple(input_shape[:-1]) + (self.units,).")
    if got == expected[1:]:
        return "the batch axis is missing: the output shape starts with input_shape[0]."
    return None
