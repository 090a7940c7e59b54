"""Dense: activation(inputs @ kernel + bias), Keras's arguments, config keys and weights."""

import inspect

import numpy as np
import pytest

from mlkit import GradientTape, constraints, initializers, layers, ops, regularizers
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(0)


def test_signature_follows_keras():
    parameters = inspect.signature(layers.Dense.__init__).parameters
    assert list(parameters)[1:] == [
        "units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
        "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
        "quantization_config", "kwargs",
    ]
    assert parameters["kernel_initializer"].default == "glorot_uniform"
    assert parameters["bias_initializer"].default == "zeros"
    assert parameters["use_bias"].default is True and parameters["activation"].default is None


def test_weights_names_shapes_and_order():
    dense = layers.Dense(4, name="dense_layer")
    assert dense.weights == [] and not dense.built
    dense(np.ones((2, 3)))
    assert [(w.name, w.path, w.shape) for w in dense.weights] == [
        ("kernel", "dense_layer/kernel", (3, 4)),
        ("bias", "dense_layer/bias", (4,)),
    ]
    np.testing.assert_array_equal(dense.bias.numpy(), np.zeros(4))
    assert np.abs(dense.kernel.numpy()).max() <= np.sqrt(6 / 7)
    assert dense.input_spec.axes == {-1: 3} and dense.input_spec.min_ndim == 2


def test_numbers_with_and_without_bias():
    x = RNG.normal(size=(5, 3)).astype("float32")
    kernel = RNG.normal(size=(3, 2)).astype("float32")
    dense = layers.Dense(2, activation="relu")
    dense.build((None, 3))
    dense.set_weights([kernel, np.array([0.5, -0.5])])
    np.testing.assert_allclose(dense(x).numpy(), np.maximum(x @ kernel + [0.5, -0.5], 0), rtol=1e-5, atol=1e-6)

    no_bias = layers.Dense(2, use_bias=False, kernel_initializer=initializers.Constant(0.5))
    np.testing.assert_allclose(no_bias(x).numpy(), x @ np.full((3, 2), 0.5), rtol=1e-5, atol=1e-6)
    assert no_bias.bias is None and [w.name for w in no_bias.weights] == ["kernel"]


def test_inputs_with_more_axes_use_the_last_one():
    dense = layers.Dense(3, kernel_initializer="ones", bias_initializer="ones")
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    y = dense(x)
    assert y.shape == (2, 3, 3) == dense.compute_output_shape((2, 3, 4))
    np.testing.assert_allclose(y.numpy(), np.repeat(x.sum(-1, keepdims=True) + 1, 3, axis=-1))


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid", "softmax", "gelu"])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("input_shape", [(4, 3), (2, 3, 3)])
def test_gradients_match_finite_differences(activation, use_bias, input_shape):
    dense = layers.Dense(2, activation=activation, use_bias=use_bias, dtype="float64",
                         bias_initializer="random_normal")
    x = np.random.default_rng(1).normal(size=input_shape)
    dense.build(input_shape)
    if activation == "relu":  # keep pre-activations away from the kink at 0
        x = np.abs(x) + 0.1
        dense.kernel.assign(np.abs(dense.kernel.numpy()) + 0.1)
    check_gradients(lambda t: dense(t), [x] + dense.weights)


def test_gradient_with_respect_to_the_weights_has_the_closed_form():
    dense = layers.Dense(2, dtype="float64")
    x = RNG.normal(size=(4, 3))
    upstream = RNG.normal(size=(4, 2))
    with GradientTape() as tape:
        loss = ops.sum(dense(x) * upstream)
    grad_kernel, grad_bias = tape.gradient(loss, dense.trainable_weights)
    np.testing.assert_allclose(grad_kernel.numpy(), x.T @ upstream)
    np.testing.assert_allclose(grad_bias.numpy(), upstream.sum(0))


def test_config_keys_and_round_trip():
    dense = layers.Dense(
        3,
        activation="tanh",
        kernel_initializer="he_normal",
        kernel_regularizer=regularizers.L2(0.1),
        bias_constraint=constraints.NonNeg(),
        activity_regularizer="l1",
        name="head",
    )
    config = dense.get_config()
    assert list(config) == [
        "name", "trainable", "dtype", "activity_regularizer", "units", "activation", "use_bias",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "kernel_constraint", "bias_constraint", "quantization_config",
    ]
    assert config["quantization_config"] is None
    assert (config["units"], config["activation"], config["use_bias"]) == (3, "tanh", True)
    assert config["kernel_initializer"]["class_name"] == "HeNormal"
    assert config["kernel_regularizer"]["config"]["l2"] == pytest.approx(0.1)
    assert config["bias_constraint"]["class_name"] == "NonNeg"
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    assert "activity_regularizer" not in layers.Dense(2).get_config()
    with pytest.raises(NotImplementedError, match="quantization_config must be None"):
        layers.Dense(2, quantization_config={"mode": "int8"})


def test_regularizer_losses_and_constraints():
    dense = layers.Dense(2, kernel_initializer="ones", kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.5),
                         bias_initializer=initializers.Constant(-2.0), kernel_constraint="non_neg")
    dense(np.ones((1, 3)))
    np.testing.assert_allclose([float(v) for v in dense.losses], [0.01 * 6, 0.5 * 4])
    assert isinstance(dense.kernel.constraint, constraints.NonNeg) and dense.bias.constraint is None


def test_invalid_units():
    for units in (0, -3, 2.5, "4", True):
        with pytest.raises(ValueError, match=r"invalid value for `units`, expected a positive integer"):
            layers.Dense(units)


def test_unknown_names_for_settings_name_the_layer_and_argument():
    with pytest.raises(ValueError, match=r"`kernel_initializer` of layer 'head' \(Dense\).*Unknown initializer 'glorot_unifrom'.*glorot_uniform"):
        layers.Dense(2, kernel_initializer="glorot_unifrom", name="head")
    with pytest.raises(ValueError, match=r"`activation` of layer 'head' \(Dense\).*Unknown activation 'rleu'"):
        layers.Dense(2, activation="rleu", name="head")
    with pytest.raises(ValueError, match=r"`bias_constraint` of layer 'head' \(Dense\)"):
        layers.Dense(2, bias_constraint="positive", name="head")


def test_wrong_input_shapes_name_the_layer_and_the_shapes():
    dense = layers.Dense(2, name="head")
    with pytest.raises(ValueError, match=r'layer "head".*expected min_ndim=2, found ndim=1.*\(3,\).*add a batch axis'):
        dense(np.ones(3))
    dense(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r'layer "head".*expected axis -1 of input shape to have value 3, but received input with shape \(1, 4\)'):
        dense(np.ones((1, 4)))


def test_string_inputs():
    with pytest.raises(TypeError, match=r"Layer 'head' \(Dense\) expects numeric inputs"):
        layers.Dense(2, name="head")(np.array([["1", "2"]]))


def test_frozen_dense():
    dense = layers.Dense(2, trainable=False)
    dense(np.ones((1, 3)))
    assert dense.trainable_weights == [] and [w.name for w in dense.non_trainable_weights] == ["kernel", "bias"]


def test_use_bias_must_be_a_boolean():
    with pytest.raises(TypeError) as caught:
        layers.Dense(4, use_bias="no", name="careless")
    assert "Dense 'careless': `use_bias` must be True or False, got use_bias='no'" in str(caught.value)
