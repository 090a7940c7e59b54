"""Regularization layers (mlkit/layers/regularization/): Dropout, the spatial
dropouts, GaussianNoise, GaussianDropout and ActivityRegularization.

The random layers are checked statistically, with tolerances taken from the
standard deviation of what is measured (5 sigma, so a correct layer fails
about once in a few million runs, and the seeds make every run identical).
"""

import json

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops
from mlkit.ops.autodiff import GradientTape
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(17)


def assert_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    return clone


# -- Dropout ----------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_rate_and_scales_the_rest(rate):
    x = RNG.uniform(1.0, 2.0, size=(200, 100))  # no zeros of its own
    out = layers.Dropout(rate, seed=1, dtype="float64")(x, training=True).numpy()
    dropped = out == 0
    tolerance = 5 * np.sqrt(rate * (1 - rate) / x.size)  # binomial standard deviation of the fraction
    assert abs(dropped.mean() - rate) < tolerance
    np.testing.assert_allclose(out[~dropped], x[~dropped] / (1 - rate), rtol=1e-12)


@pytest.mark.parametrize("training", [False, None])
def test_dropout_is_the_identity_at_inference(training):
    x = RNG.normal(size=(4, 5))
    layer = layers.Dropout(0.5, seed=0, dtype="float64")
    out = layer(x) if training is None else layer(x, training=training)
    np.testing.assert_array_equal(out.numpy(), x)


def test_dropout_preserves_the_expected_value():
    rate, samples = 0.4, 20000
    values = np.array([0.5, -1.0, 2.0, 3.0])
    x = np.tile(values, (samples, 1))  # many samples of the same four values
    out = layers.Dropout(rate, seed=2, dtype="float64")(x, training=True).numpy()
    # Each output is value/(1-rate) with probability 1-rate, else 0: variance value^2 rate/(1-rate).
    standard_error = np.abs(values) * np.sqrt(rate / (1 - rate) / samples)
    assert np.all(np.abs(out.mean(axis=0) - values) < 5 * standard_error)


def test_dropout_noise_shape_shares_the_mask_along_size_one_axes():
    x = RNG.uniform(1.0, 2.0, size=(6, 7, 50))
    layer = layers.Dropout(0.5, noise_shape=(None, 1, None), seed=3, dtype="float64")
    mask = layer(x, training=True).numpy() / x
    np.testing.assert_allclose(mask, np.broadcast_to(mask[:, :1, :], mask.shape), rtol=1e-12)
    assert set(np.round(np.unique(mask), 12)) == {0.0, 2.0}
    assert 0.3 < (mask[:, 0, :] == 0).mean() < 0.7  # still random over batch and features
    explicit = layers.Dropout(0.5, noise_shape=(6, 1, 50), seed=3, dtype="float64")
    np.testing.assert_array_equal(explicit(x, training=True).numpy() / x, mask)


def test_dropout_noise_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Dropout 'drop': noise_shape=\(None, 3\) does not fit inputs of shape \(2, 4\)"):
        layers.Dropout(0.5, noise_shape=(None, 3), name="drop")(np.ones((2, 4)), training=True)
    with pytest.raises(ValueError, match="Dropout 'bad': every entry of noise_shape must be a positive int or None"):
        layers.Dropout(0.5, noise_shape=(None, 0), name="bad")
    with pytest.raises(ValueError, match="noise_shape must be a tuple of ints or None"):
        layers.Dropout(0.5, noise_shape="batch")


def test_seeded_dropout_is_reproducible_but_different_on_each_call():
    x = np.ones((10, 20))
    first, second = layers.Dropout(0.5, seed=42), layers.Dropout(0.5, seed=42)
    masks_first = [first(x, training=True).numpy() for _ in range(3)]
    masks_second = [second(x, training=True).numpy() for _ in range(3)]
    for a, b in zip(masks_first, masks_second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(masks_first[0], masks_first[1])
    assert not np.array_equal(masks_first[0], layers.Dropout(0.5, seed=7)(x, training=True).numpy())


def test_unseeded_dropout_is_reproducible_after_set_random_seed():
    x = np.ones((10, 20))

    def run():
        mlkit.utils.set_random_seed(123)
        layer = layers.Dropout(0.5)
        return [layer(x, training=True).numpy() for _ in range(2)]

    a, b = run(), run()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])


def test_training_flag_reaches_a_dropout_nested_in_a_custom_layer():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(30, kernel_initializer="ones", use_bias=False)
            self.dropout = layers.Dropout(0.5, seed=0)

        def call(self, inputs):  # no `training` argument: it travels on its own
            return self.dropout(self.dense(inputs))

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block()

        def call(self, inputs):
            return self.block(inputs)

    model = Outer()
    x = np.ones((20, 4), "float32")
    assert (model(x).numpy() == 4.0).all()
    assert (model(x, training=False).numpy() == 4.0).all()
    trained = model(x, training=True).numpy()
    assert set(np.unique(trained).tolist()) == {0.0, 8.0}
    assert 0.3 < (trained == 0).mean() < 0.7


def test_dropout_gradient_is_the_mask():
    x = RNG.normal(size=(3, 4))
    # A fresh layer with the same seed draws the same mask on every call, as the check needs.
    check_gradients(lambda t: layers.Dropout(0.4, seed=9, dtype="float64")(t, training=True), [x])
    tensor = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(tensor)
        out = layers.Dropout(0.4, seed=9, dtype="float64")(tensor, training=True)
        total = ops.sum(out)
    gradient = tape.gradient(total, tensor).numpy()
    mask = out.numpy() / x
    np.testing.assert_allclose(gradient, mask, rtol=1e-12)
    assert set(np.round(np.unique(gradient), 12)) <= {0.0, round(1 / 0.6, 12)}


def test_dropout_rate_zero_and_one():
    x = RNG.normal(size=(3, 4))
    np.testing.assert_array_equal(layers.Dropout(0.0, dtype="float64")(x, training=True).numpy(), x)
    np.testing.assert_array_equal(layers.Dropout(1.0, dtype="float64")(x, training=True).numpy(), 0.0)
    with pytest.raises(ValueError, match="Dropout 'too_much': `rate` must be a number between 0 and 1, got rate=1.5"):
        layers.Dropout(1.5, name="too_much")


def test_dropout_arguments_shape_and_config():
    layer = layers.Dropout(0.25, noise_shape=[None, 1], seed=5)
    assert (layer.rate, layer.noise_shape, layer.seed) == (0.25, (None, 1), 5)
    assert layer.built and layer.weights == []
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    clone = assert_config_round_trip(layer)
    assert (clone.rate, clone.noise_shape, clone.seed) == (0.25, (None, 1), 5)
    assert set(layer.get_config()) >= {"rate", "noise_shape", "seed", "name", "trainable", "dtype"}


# -- SpatialDropout ------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, shape, data_format, shared_axes",
    [
        (layers.SpatialDropout1D, (40, 5, 30), None, (1,)),
        (layers.SpatialDropout2D, (40, 3, 4, 30), "channels_last", (1, 2)),
        (layers.SpatialDropout2D, (40, 30, 3, 4), "channels_first", (2, 3)),
        (layers.SpatialDropout3D, (40, 2, 3, 2, 30), "channels_last", (1, 2, 3)),
    ],
)
def test_spatial_dropout_drops_whole_channels(cls, shape, data_format, shared_axes):
    kwargs = {} if data_format is None else {"data_format": data_format}
    layer = cls(0.5, seed=4, dtype="float64", **kwargs)
    x = RNG.uniform(1.0, 2.0, size=shape)
    mask = layer(x, training=True).numpy() / x
    first = tuple(slice(0, 1) if axis in shared_axes else slice(None) for axis in range(len(shape)))
    np.testing.assert_allclose(mask, np.broadcast_to(mask[first], shape), rtol=1e-12)
    per_channel = mask[first].ravel()
    assert abs((per_channel == 0).mean() - 0.5) < 5 * np.sqrt(0.25 / per_channel.size)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    small = x[:2, :3] if data_format == "channels_first" else x[:2, ..., :3]
    check_gradients(lambda t: cls(0.5, seed=4, dtype="float64", **kwargs)(t, training=True), [small])
    clone = assert_config_round_trip(layer)
    assert "noise_shape" not in clone.get_config()


def test_spatial_dropout_rank_errors_name_the_layer():
    with pytest.raises(ValueError, match='layer .channels_1d..*expected ndim=3, found ndim=4'):
        layers.SpatialDropout1D(0.5, name="channels_1d")(np.ones((2, 3, 4, 5)), training=True)
    with pytest.raises(ValueError, match='layer .channels_2d..*expected ndim=4, found ndim=3'):
        layers.SpatialDropout2D(0.5, name="channels_2d")(np.ones((2, 3, 4)), training=True)


# -- GaussianNoise ----------------------------------------------------------------------
def test_gaussian_noise_adds_noise_with_the_right_spread_only_in_training():
    stddev, x = 0.3, RNG.normal(size=(200, 100))
    layer = layers.GaussianNoise(stddev, seed=6, dtype="float64")
    noise = layer(x, training=True).numpy() - x
    count = noise.size
    assert abs(noise.mean()) < 5 * stddev / np.sqrt(count)
    assert abs(noise.std() - stddev) < 5 * stddev / np.sqrt(2 * count)  # std of a sample std
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert not np.array_equal(layer(x, training=True).numpy() - x, noise)  # fresh noise each call


def test_gaussian_noise_gradient_config_and_errors():
    x = RNG.normal(size=(3, 4))
    check_gradients(lambda t: layers.GaussianNoise(0.5, seed=1, dtype="float64")(t, training=True), [x])
    layer = layers.GaussianNoise(0.2, seed=3)
    assert layer.compute_output_shape((None, 7)) == (None, 7)
    clone = assert_config_round_trip(layer)
    assert (clone.stddev, clone.seed) == (0.2, 3)
    with pytest.raises(ValueError, match="GaussianNoise 'loud': stddev must be between 0 and 1"):
        layers.GaussianNoise(2.0, name="loud")


# -- GaussianDropout -------------------------------------------------------------------
def test_gaussian_dropout_multiplies_by_noise_around_one():
    rate, x = 0.2, RNG.uniform(1.0, 2.0, size=(200, 100))
    layer = layers.GaussianDropout(rate, seed=8, dtype="float64")
    factor = layer(x, training=True).numpy() / x
    stddev, count = np.sqrt(rate / (1 - rate)), x.size
    assert abs(factor.mean() - 1) < 5 * stddev / np.sqrt(count)
    assert abs(factor.std() - stddev) < 5 * stddev / np.sqrt(2 * count)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    check_gradients(lambda t: layers.GaussianDropout(rate, seed=8, dtype="float64")(t, training=True), [x[:3, :4]])
    clone = assert_config_round_trip(layer)
    assert (clone.rate, clone.seed) == (rate, 8)


# -- ActivityRegularization -----------------------------------------------------------
@pytest.mark.parametrize("l1, l2", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.02), (0.03, 0.05)])
def test_activity_regularization_adds_the_penalty_and_passes_inputs_through(l1, l2):
    x = RNG.normal(size=(4, 5))
    layer = layers.ActivityRegularization(l1=l1, l2=l2, dtype="float64")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    # As in Keras 3, an activity penalty is divided by the batch size (4 here).
    expected = (l1 * np.abs(x).sum() + l2 * np.square(x).sum()) / 4
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-12, atol=1e-15)
    layer(x)
    assert len(layer.losses) == 1  # replaced on each call, not accumulated

    def output_and_penalty(t):
        return [layer(t), layer.losses[0]]

    if l1 or l2:
        check_gradients(output_and_penalty, [x])


def test_activity_regularization_defaults_and_config():
    layer = layers.ActivityRegularization()
    assert (layer.l1, layer.l2) == (0.0, 0.0)
    config = layers.ActivityRegularization(l1=0.1, l2=0.2).get_config()
    assert "activity_regularizer" not in config
    assert (config["l1"], config["l2"]) == (0.1, 0.2)
    clone = assert_config_round_trip(layers.ActivityRegularization(l1=0.1, l2=0.2))
    clone(np.ones((2, 3)))
    np.testing.assert_allclose(float(clone.losses[0]), (0.1 * 6 + 0.2 * 6) / 2, rtol=1e-6)


# -- every regularization layer ---------------------------------------------------------
@pytest.mark.parametrize(
    "layer, shape",
    [
        (layers.Dropout(0.3), (4, 3, 2)),
        (layers.SpatialDropout1D(0.3), (4, 3, 2)),
        (layers.SpatialDropout2D(0.3), (4, 3, 2, 5)),
        (layers.SpatialDropout3D(0.3, data_format="channels_first"), (4, 3, 2, 5, 2)),
        (layers.GaussianNoise(0.1), (4, 7)),
        (layers.GaussianDropout(0.1), (4, 7)),
        (layers.ActivityRegularization(l1=0.1), (4, 7)),
    ],
    ids=lambda item: type(item).__name__ if isinstance(item, layers.Layer) else "",
)
def test_output_shape_is_the_input_shape_in_both_modes(layer, shape):
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]
    x = np.ones(shape, "float32")
    assert layer(x, training=True).shape == shape
    assert layer(x, training=False).shape == shape
    assert layer.weights == []


@pytest.mark.parametrize("rate, error_type, part", [
    ("0.5", TypeError, "`rate` must be a number, got rate='0.5' (of type str). Write the number without quotes: rate=0.5."),
    (None, TypeError, "`rate` must be a number, got rate=None"),
    (-0.1, ValueError, "`rate` must be a number between 0 and 1, got rate=-0.1"),
])
def test_dropout_rate_of_the_wrong_kind_names_the_fix(rate, error_type, part):
    with pytest.raises(error_type) as caught:
        layers.Dropout(rate, name="careless")
    assert str(caught.value).startswith("Dropout 'careless': ") and part in str(caught.value)
