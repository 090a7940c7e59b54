"""Careless inputs every layer refuses with a clear error (checked once, at build)."""

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops


class NoReturn(layers.Layer):
    def call(self, inputs):
        self.seen = inputs  # forgot `return`


class ForgetfulModel(mlkit.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, inputs):
        self.dense(inputs)  # forgot `return`


def fit_forgetful_model():
    model = ForgetfulModel()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)


CASES = {
    "an empty feature axis": (
        lambda: layers.Dense(4, name="dense_empty")(np.zeros((2, 0), "float32")),
        ValueError, ["Layer 'dense_empty' (Dense)", "shape (2, 0)", "axis 1 has size 0", "only the batch axis may be empty"],
    ),
    "an empty time axis": (
        lambda: layers.Dense(2, name="dense_no_steps")(np.zeros((2, 0, 3), "float32")),
        ValueError, ["Layer 'dense_no_steps' (Dense)", "shape (2, 0, 3)", "axis 1 has size 0"],
    ),
    "complex NumPy input": (
        lambda: layers.Dense(4, name="dense_complex")(np.ones((2, 3), complex)),
        TypeError, ["Layer 'dense_complex' (Dense)", "expects real numbers", "complex128", "x.real"],
    ),
    "complex tensor input": (
        lambda: layers.Dense(4, name="dense_complex_tensor")(ops.convert_to_tensor(np.ones((2, 3), np.complex64))),
        TypeError, ["Layer 'dense_complex_tensor' (Dense)", "complex64", "np.abs(x)"],
    ),
    "a dict given to a one-tensor layer": (
        lambda: layers.Dense(4, name="dense_dict")({"pixels": np.ones((2, 3), "float32")}),
        ValueError, ["Layer 'dense_dict' (Dense)", "a dict of inputs with keys ['pixels']", "KeyError", "layer(inputs['pixels'])"],
    ),
    "a call() without return, eagerly in Sequential": (
        lambda: mlkit.Sequential([layers.Dense(2), NoReturn(name="no_return")])(np.ones((2, 3), "float32")),
        ValueError, ["Layer 'no_return' (NoReturn): call() returned None", "return outputs"],
    ),
    "a call() without return, when Sequential is built": (
        lambda: mlkit.Sequential([mlkit.Input(shape=(3,)), NoReturn(name="no_return_symbolic")]),
        ValueError, ["Layer 'no_return_symbolic' (NoReturn): call() returned None"],
    ),
    "a subclassed model's call() without return, in fit": (
        fit_forgetful_model, ValueError, ["(ForgetfulModel): call() returned None", "return outputs"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_careless_inputs_get_an_error_that_names_the_layer_and_the_fix(case):
    action, error_type, parts = CASES[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)


def test_an_empty_batch_is_still_fine():
    dense = layers.Dense(4)
    assert dense(np.zeros((0, 3), "float32")).shape == (0, 4)


def test_input_shape_given_as_a_number_asks_for_a_tuple():
    with pytest.raises(TypeError) as caught:
        layers.Dense(4, input_shape=3, name="dense_shape")
    assert "Layer 'dense_shape' (Dense): `input_shape` must be a tuple" in str(caught.value)
    assert "write input_shape=(3,)" in str(caught.value)
