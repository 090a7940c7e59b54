"""LayerNormalization (mlkit/layers/normalization/layer_normalization.py).

Expectations come from the formula, in NumPy, per example over `axes`:

    gamma * (x - mean(x)) / sqrt(variance(x) + epsilon) + beta
"""

import json
import warnings

import numpy as np
import pytest

from mlkit import layers, ops, regularizers
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def same_random_numbers_in_every_test():
    """Each test draws from a fresh generator: results do not depend on test order."""
    global RNG
    RNG = np.random.default_rng(11)


def random_inputs(shape, dtype="float64"):
    return RNG.normal(2.0, 3.0, size=shape).astype(dtype)


def reference(x, axes, gamma, beta, epsilon=1e-3):
    """`gamma` and `beta` given already shaped to broadcast against `x`."""
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True)  # biased, as in Keras
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def built_layer(shape, dtype="float64", **kwargs):
    """A built layer whose gamma and beta hold random values."""
    layer = layers.LayerNormalization(dtype=dtype, **kwargs)
    layer.build((None,) + tuple(shape[1:]))
    layer.set_weights([RNG.normal(size=w.shape) for w in layer.weights])
    return layer


# -- Keras 3 surface ---------------------------------------------------------
def test_defaults_match_keras():
    layer = layers.LayerNormalization()
    assert (layer.axis, layer.epsilon, layer.center, layer.scale, layer.rms_scaling) == (-1, 1e-3, True, True, False)
    assert layer.get_config()["gamma_initializer"]["class_name"] == "Ones"
    assert layer.get_config()["beta_initializer"]["class_name"] == "Zeros"
    assert layer.autocast is False


def test_weights_names_order_and_shapes():
    layer = layers.LayerNormalization(axis=[1, 2])
    layer(np.ones((2, 3, 4, 5), "float32"))
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    assert layer.gamma.shape == layer.beta.shape == (3, 4)
    assert layer.non_trainable_weights == []
    np.testing.assert_array_equal(layer.gamma.numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(layer.beta.numpy(), np.zeros((3, 4)))


@pytest.mark.parametrize("center, scale, names", [(False, True, ["gamma"]), (True, False, ["beta"]), (False, False, [])])
def test_center_and_scale_switch_weights_off(center, scale, names):
    layer = layers.LayerNormalization(center=center, scale=scale)
    layer(np.ones((2, 3), "float32"))
    assert [w.name for w in layer.weights] == names


def test_get_config_keys_and_round_trip():
    layer = layers.LayerNormalization(
        axis=[1, 2], epsilon=1e-5, scale=False, beta_regularizer=regularizers.L2(0.1), name="ln"
    )
    config = layer.get_config()
    assert set(config) == {
        "name", "trainable", "dtype", "axis", "epsilon", "center", "scale", "rms_scaling",
        "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
        "beta_constraint", "gamma_constraint",
    }
    json.dumps(config)
    clone = layers.LayerNormalization.from_config(config)
    assert clone.get_config() == config
    clone(np.ones((2, 3, 4), "float32"))
    assert [w.name for w in clone.weights] == ["beta"] and clone.beta.shape == (3, 4)


def test_compute_output_shape():
    layer = layers.LayerNormalization(axis=[1, -1])
    assert layer.compute_output_shape((None, 5, 7)) == (None, 5, 7)
    with pytest.raises(ValueError, match="out of range"):
        layers.LayerNormalization(axis=2).compute_output_shape((None, 4))


# -- what the layer computes ----------------------------------------------------
@pytest.mark.parametrize(
    "shape, axis, axes",
    [
        ((4, 6), -1, (1,)),
        ((3, 5, 6), -1, (2,)),
        ((3, 5, 6), 1, (1,)),
        ((2, 3, 4, 5), [1, 2], (1, 2)),
        ((2, 3, 4, 5), [-2, -1], (2, 3)),
    ],
)
def test_outputs_follow_the_formula(shape, axis, axes):
    layer = built_layer(shape, axis=axis)
    broadcast = tuple(n if i in axes else 1 for i, n in enumerate(shape))
    gamma, beta = (w.numpy().reshape(broadcast) for w in layer.weights)
    x = random_inputs(shape)
    expected = reference(x, axes, gamma, beta)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
    # No batch statistics, no state: training mode and a lone example agree.
    np.testing.assert_allclose(layer(x, training=True).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(layer(x[:1]).numpy(), expected[:1], rtol=1e-12)


def test_each_example_gets_mean_zero_and_unit_variance():
    layer = layers.LayerNormalization(dtype="float64")
    x = random_inputs((5, 50)) * np.arange(1, 6)[:, None]  # very different scales per row
    outputs = layer(x).numpy()
    np.testing.assert_allclose(outputs.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(outputs.var(axis=1), x.var(axis=1) / (x.var(axis=1) + 1e-3))


def test_trailing_axis_layer_accepts_inputs_of_another_rank():
    layer = built_layer((2, 4))
    x = random_inputs((2, 3, 4))
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    np.testing.assert_allclose(layer(x).numpy(), reference(x, (2,), gamma, beta), rtol=1e-12)


def test_rms_scaling_divides_by_the_standard_deviation_and_drops_beta():
    with pytest.warns(UserWarning, match="rms_scaling"):
        layer = layers.LayerNormalization(rms_scaling=True, dtype="float64")
    layer(np.ones((1, 4)))
    assert [w.name for w in layer.weights] == ["gamma"]
    layer.gamma.assign(RNG.normal(size=4))
    x = random_inputs((3, 4))
    expected = x / np.sqrt(x.var(axis=1, keepdims=True) + 1e-3) * layer.gamma.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
    assert layer.get_config()["rms_scaling"] is True
    check_gradients(lambda t: layer(t), [x, layer.gamma])


def test_no_warning_without_rms_scaling():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.LayerNormalization.from_config(layers.LayerNormalization().get_config())


# -- dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype):
    layer = layers.LayerNormalization(dtype=dtype)
    outputs = layer(random_inputs((3, 4), dtype=dtype))
    assert outputs.dtype == dtype
    assert all(w.dtype == dtype for w in layer.weights)


def test_inputs_are_not_autocast_but_the_result_is_cast_to_the_compute_dtype():
    layer = layers.LayerNormalization()  # float32
    x = random_inputs((3, 4), dtype="float64")
    outputs = layer(x)
    assert outputs.dtype == "float32"
    np.testing.assert_allclose(outputs.numpy(), reference(x, (1,), 1.0, 0.0), rtol=1e-6)


def test_mixed_float16_normalizes_in_float32():
    layer = layers.LayerNormalization(dtype="mixed_float16")
    x = np.array([[300.0, 500.0]], "float16")  # squares beyond float16's max, 65504
    outputs = layer(x)
    assert outputs.dtype == "float16" and layer.gamma.dtype == "float32"
    np.testing.assert_allclose(outputs.numpy(), [[-1.0, 1.0]], atol=1e-3)


# -- gradients (float64, against finite differences) ----------------------------
@pytest.mark.parametrize(
    "shape, axis", [((4, 5), -1), ((2, 3, 4), 1), ((2, 3, 2, 3), [1, 2]), ((2, 3, 2, 3), [-2, -1])]
)
def test_gradients_wrt_inputs_gamma_beta(shape, axis):
    layer = built_layer(shape, axis=axis)
    check_gradients(lambda t: layer(t), [random_inputs(shape), layer.gamma, layer.beta])


@pytest.mark.parametrize("center, scale", [(False, True), (True, False), (False, False)])
def test_gradients_with_center_or_scale_off(center, scale):
    layer = layers.LayerNormalization(center=center, scale=scale, dtype="float64")
    x = random_inputs((3, 5))
    layer(x)
    for weight in layer.weights:
        weight.assign(RNG.normal(size=weight.shape))
    check_gradients(lambda t: layer(t), [x] + layer.trainable_weights)


# -- errors that explain themselves -------------------------------------------------
def test_axis_out_of_range_names_the_layer():
    layer = layers.LayerNormalization(axis=2, name="ln")
    with pytest.raises(ValueError, match=r"LayerNormalization 'ln'.*axis=2.*rank 2"):
        layer(np.ones((2, 4), "float32"))


def test_axis_must_be_ints():
    with pytest.raises(TypeError, match="LayerNormalization.*axis"):
        layers.LayerNormalization(axis=1.5)
    with pytest.raises(TypeError, match="LayerNormalization.*axis"):
        layers.LayerNormalization(axis=[])


def test_same_axis_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        layers.LayerNormalization(axis=[1, -1])(np.ones((2, 3), "float32"))


def test_input_of_another_width_after_build():
    layer = layers.LayerNormalization(name="ln")
    layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match=r'"ln".*axis -1.*value 4'):
        layer(np.ones((2, 5), "float32"))


def test_front_counted_axis_fixes_the_rank():
    layer = layers.LayerNormalization(axis=1, name="ln")
    layer(np.ones((2, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r'"ln".*expected ndim=3'):
        layer(np.ones((2, 4), "float32"))


def test_unknown_size_of_a_normalized_axis():
    layer = layers.LayerNormalization(name="ln")
    with pytest.raises(ValueError, match=r"LayerNormalization 'ln'.*must be known"):
        layer.build((None, None))
