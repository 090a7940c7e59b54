"""Activation layers (mlkit/layers/activations/): Activation, ReLU, LeakyReLU,
ELU, Softmax, PReLU.

Every expected value is a NumPy formula written out here; every layer is
gradient-checked in float64 against finite differences.
"""

import json
import warnings

import numpy as np
import pytest

from mlkit import layers, ops
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(11)


def random_inputs(shape, scale=2.0):
    return RNG.normal(0.0, scale, size=shape)


def assert_config_round_trip(layer):
    """get_config is JSON-able and from_config rebuilds an equal layer."""
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    return clone


def numpy_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    out = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return out if max_value is None else np.minimum(out, max_value)


def numpy_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# -- Activation ---------------------------------------------------------------
@pytest.mark.parametrize(
    "name, reference",
    [
        ("relu", lambda x: np.maximum(x, 0)),
        ("tanh", np.tanh),
        ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
        ("linear", lambda x: x),
        ("softplus", lambda x: np.log1p(np.exp(x))),
    ],
)
def test_activation_matches_numpy_and_gradients(name, reference):
    x = random_inputs((4, 5))
    layer = layers.Activation(name, dtype="float64")
    np.testing.assert_allclose(layer(x).numpy(), reference(x), rtol=1e-12, atol=1e-12)
    check_gradients(lambda t: layer(t), [x])


def test_activation_accepts_a_callable_and_round_trips_by_name():
    layer = layers.Activation(ops.tanh)
    np.testing.assert_allclose(layer(np.full((1, 2), 0.5, "float32")).numpy(), np.tanh(0.5), rtol=1e-6)
    clone = assert_config_round_trip(layers.Activation("relu"))
    assert clone.get_config()["activation"] == "relu"
    assert layers.Activation("relu").compute_output_shape((None, 3, 7)) == (None, 3, 7)


def test_activation_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown activation 'relux'"):
        layers.Activation("relux")


# -- ReLU ---------------------------------------------------------------------
def test_relu_defaults_match_keras():
    layer = layers.ReLU()
    assert (layer.max_value, layer.negative_slope, layer.threshold) == (None, 0.0, 0.0)
    x = np.array([[-10.0, -5.0, 0.0, 5.0, 10.0]], "float32")
    expected = [[-5.0, -2.5, 0.0, 5.0, 10.0]]  # the documented Keras example
    assert layers.ReLU(max_value=10, negative_slope=0.5, threshold=0)(x).numpy().tolist() == expected


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"max_value": 1.5},
        {"negative_slope": 0.1},
        {"threshold": 0.7},
        {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
    ],
)
def test_relu_matches_numpy_and_gradients(options):
    shape = tuple(RNG.integers(2, 5, size=RNG.integers(2, 4)))
    x = random_inputs(shape)
    layer = layers.ReLU(dtype="float64", **options)
    np.testing.assert_allclose(layer(x).numpy(), numpy_relu(x, **options), rtol=1e-12, atol=1e-12)
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]
    assert_config_round_trip(layer)


@pytest.mark.parametrize("argument", ["max_value", "negative_slope", "threshold"])
def test_relu_rejects_negative_arguments(argument):
    with pytest.raises(ValueError, match=f"ReLU 'bad_relu': {argument} must be a number >= 0"):
        layers.ReLU(name="bad_relu", **{argument: -1.0})


# -- LeakyReLU ----------------------------------------------------------------
def test_leaky_relu_default_slope_is_0_3():
    layer = layers.LeakyReLU()
    assert layer.negative_slope == 0.3
    x = np.array([[-3.0, -1.0, 0.0, 2.0]], "float32")
    np.testing.assert_allclose(layer(x).numpy(), [[-0.9, -0.3, 0.0, 2.0]], rtol=1e-6)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.3, 1.7])
def test_leaky_relu_matches_numpy_and_gradients(slope):
    x = random_inputs((3, 4, 2))
    layer = layers.LeakyReLU(negative_slope=slope, dtype="float64")
    np.testing.assert_allclose(layer(x).numpy(), np.where(x > 0, x, slope * x), rtol=1e-12)
    check_gradients(lambda t: layer(t), [x])
    clone = assert_config_round_trip(layer)
    assert clone.negative_slope == slope


def test_leaky_relu_old_alpha_argument_warns_and_works():
    with pytest.warns(UserWarning, match="alpha"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1


@pytest.mark.parametrize("slope", [None, -0.1])
def test_leaky_relu_rejects_bad_slope(slope):
    with pytest.raises(ValueError, match="LeakyReLU .*`negative_slope` must be a number >= 0"):
        layers.LeakyReLU(negative_slope=slope)


# -- ELU ----------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.5])
def test_elu_matches_numpy_and_gradients(alpha):
    x = random_inputs((5, 3))
    layer = layers.ELU(alpha=alpha, dtype="float64")
    expected = np.where(x > 0, x, alpha * (np.exp(x) - 1))
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12, atol=1e-12)
    check_gradients(lambda t: layer(t), [x])
    assert assert_config_round_trip(layer).alpha == alpha


def test_elu_default_alpha_is_1():
    assert layers.ELU().alpha == 1.0


# -- Softmax ------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 1, 0, [1, 2], (-2, -1)])
def test_softmax_matches_numpy_and_gradients(axis):
    x = random_inputs((3, 4, 2))
    layer = layers.Softmax(axis=axis, dtype="float64")
    numpy_axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    out = layer(x).numpy()
    np.testing.assert_allclose(out, numpy_softmax(x, numpy_axis), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=numpy_axis), 1.0, rtol=1e-12)
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None, 4, 2)) == (None, 4, 2)
    assert_config_round_trip(layer)


def test_softmax_mask_gives_zero_to_masked_positions():
    x = random_inputs((4, 6))
    mask = RNG.random((4, 6)) > 0.4
    mask[0] = False  # a fully masked row comes out all zeros
    mask[1] = True
    layer = layers.Softmax(dtype="float64")
    out = layer(x, mask=mask).numpy()
    expected = np.where(mask, np.exp(x), 0.0)
    totals = expected.sum(axis=-1, keepdims=True)
    expected = np.divide(expected, totals, out=np.zeros_like(expected), where=totals > 0)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-15)
    assert out[0].tolist() == [0.0] * 6
    check_gradients(lambda t: layer(t, mask=mask), [x])


def test_softmax_accepts_a_mask_of_zeros_and_ones():
    x = random_inputs((3, 5))
    mask = (RNG.random((3, 5)) > 0.5) | np.eye(3, 5, dtype=bool)
    layer = layers.Softmax(dtype="float64")
    np.testing.assert_array_equal(layer(x, mask=mask.astype("float32")).numpy(), layer(x, mask=mask).numpy())


def test_softmax_default_axis_is_last():
    assert layers.Softmax().axis == -1


# -- PReLU --------------------------------------------------------------------
def test_prelu_weight_name_shape_and_default_zero_slope():
    layer = layers.PReLU()
    x = random_inputs((2, 3, 4)).astype("float32")
    np.testing.assert_array_equal(layer(x).numpy(), np.maximum(x, 0))  # alpha starts at 0
    assert [w.name for w in layer.weights] == ["alpha"]
    assert layer.alpha.shape == (3, 4)
    assert layer.alpha.path == f"{layer.name}/alpha"


@pytest.mark.parametrize("shared_axes, alpha_shape", [(None, (4, 3, 2)), ([1, 2], (1, 1, 2)), (3, (4, 3, 1))])
def test_prelu_matches_numpy_and_gradients(shared_axes, alpha_shape):
    x = random_inputs((2, 4, 3, 2))
    layer = layers.PReLU(shared_axes=shared_axes, dtype="float64")
    layer.build(x.shape)
    assert layer.alpha.shape == alpha_shape
    alpha = RNG.uniform(0.05, 0.5, size=alpha_shape)
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).numpy(), np.where(x >= 0, x, alpha * x), rtol=1e-12)
    check_gradients(lambda t: layer(t), [x, layer.alpha])
    assert layer.compute_output_shape((None, 4, 3, 2)) == (None, 4, 3, 2)
    clone = assert_config_round_trip(layer)
    assert clone.get_config()["alpha_initializer"]["class_name"] == "Zeros"


def test_prelu_checks_shapes_with_the_layer_name():
    layer = layers.PReLU(name="slopes")
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match='layer .slopes..*axis 1 .*value 3'):
        layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match='layer .flat..*expected min_ndim=2'):
        layers.PReLU(name="flat")(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match="PReLU 'bad': shared_axes must name axes 1..2"):
        layers.PReLU(shared_axes=[0], name="bad")(np.ones((2, 3, 4), "float32"))


def test_prelu_alpha_regularizer_adds_a_loss():
    layer = layers.PReLU(alpha_regularizer="l2", alpha_initializer="ones")
    layer(np.ones((1, 3), "float32"))
    assert [round(float(loss), 6) for loss in layer.losses] == [0.03]  # 0.01 * 3 * 1^2


# -- every activation layer ---------------------------------------------------
@pytest.mark.parametrize(
    "layer",
    [layers.Activation("relu"), layers.ReLU(), layers.LeakyReLU(), layers.ELU(), layers.Softmax()],
    ids=lambda layer: type(layer).__name__,
)
def test_weightless_activation_layers_are_built_and_keep_shape(layer):
    assert layer.built and layer.weights == []
    assert layer.compute_output_shape((None, 2, 5)) == (None, 2, 5)
    assert layer(np.zeros((3, 2, 5), "float32")).shape == (3, 2, 5)


@pytest.mark.parametrize("slope, error_type", [("0.2", TypeError), ([0.1], TypeError)])
def test_leaky_relu_slope_of_the_wrong_kind_is_refused(slope, error_type):
    with pytest.raises(error_type) as caught:
        layers.LeakyReLU(negative_slope=slope, name="leaky")
    assert "LeakyReLU 'leaky': `negative_slope` must be a number" in str(caught.value)
