"""Small helpers shared by the layer checks: make a layer, feed it, describe its weights."""

import contextlib
import traceback

import numpy as np

from mlkit import backend
from mlkit.grading.failure import GradingFailure
from mlkit.layers import Layer

MISSING_DEFAULT_HINT = ("an argument the exercise gives a default value has none in your __init__: write the "
                        "default in the signature, e.g. def __init__(self, units=32, **kwargs).")


def is_missing_default(error):
    """Whether a TypeError says a constructor was called without an argument that has no default
    (raised where the constructor was called, not by a call inside some __init__)."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    return "__init__() missing" in str(error) and not (frames and frames[-1].f_code.co_name == "__init__")


def new_layer(make_layer, **kwargs):
    """`make_layer(**kwargs)`, checked to be an mlkit layer."""
    try:
        layer = make_layer(**kwargs)
    except TypeError as error:
        if not is_missing_default(error):
            raise
        raise GradingFailure(
            "creating the layer with the arguments the exercise leaves out",
            expected="a layer (those arguments take their default values)",
            got=f"TypeError: {error}",
            hint=MISSING_DEFAULT_HINT,
        ) from None
    if not isinstance(layer, Layer):
        raise GradingFailure(
            "what your class creates",
            expected="a layer: an instance of a subclass of layers.Layer",
            got=f"a {type(layer).__name__}",
            hint="start the class with `class MyLayer(layers.Layer):` so it inherits __call__, "
                 "add_weight and weights from the base class.",
        )
    return layer


def layer_or_new(layer_or_factory):
    """A layer as given, or a fresh one from a zero-argument factory."""
    if isinstance(layer_or_factory, Layer):
        return layer_or_factory
    return new_layer(layer_or_factory)


def sample_inputs(shape, seed=0, dtype="float32"):
    """Seeded standard-normal inputs of `shape` (never all ones: that would hide mistakes)."""
    return np.random.default_rng(seed).normal(size=tuple(shape)).astype(dtype)


def call_layer(layer, inputs, during, **kwargs):
    """`layer(inputs)`, with a precise explanation when weights are made in call()."""
    try:
        return layer(inputs, **kwargs)
    except ValueError as error:
        if "after it was built" in str(error):
            raise GradingFailure(
                f"{during} of {class_name(layer)}",
                got=f"an error: {error}".split(" You cannot")[0],
                hint=new_state_hint(error),
            ) from None
        raise


def new_state_hint(error):
    """Why a built layer tried to create state: build() run again, or state made in call()."""
    functions = [frame.f_code.co_name for frame, _ in traceback.walk_tb(error.__traceback__)]
    if "build" in functions:
        caller = next((name for name in reversed(functions[: functions.index("build")])
                       if name not in ("wrapped", "__call__", "build")), None)
        called_from = f" from {caller}()" if caller else ""
        return (f"build() ran a second time{called_from}, and it creates the weights again. "
                "__call__ runs build() once, before the first call; don't call self.build yourself, "
                "or only when `not self.built`.")
    if "sublayer" in str(error):
        return ("the layers are created again on every call: call() runs on every use of the layer. "
                "Create each sublayer once, in __init__() (or build()), keep it as an attribute "
                "(self.dense = layers.Dense(...)), and only use it in call().")
    return ("weights are created in call(). call() runs on every use of the layer; "
            "create the weights once, in build(self, input_shape), and only use them in call().")


def class_name(layer):
    return type(layer).__name__


def weights_text(weights):
    """'kernel (3, 4), bias (4,)' — or 'no weights'. Takes variables or `described` weights."""
    pairs = [(v[0], v[1]) if isinstance(v, tuple) else (v.name, v.shape) for v in weights]
    return ", ".join(f"{name} {tuple(shape)}" for name, shape in pairs) or "no weights"


def described(weights):
    """Weights as plain data, what the trusted grader sees of them: [(name, shape, trainable)]."""
    return [(str(v.name), tuple(int(size) for size in v.shape), bool(v.trainable)) for v in weights]


def as_numpy(value):
    data = getattr(value, "data", value)
    return np.asarray(data)


@contextlib.contextmanager
def float64_layers():
    """Layers created inside are float64 (for finite differences), as with set_floatx."""
    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        yield
    finally:
        backend.set_floatx(previous)
