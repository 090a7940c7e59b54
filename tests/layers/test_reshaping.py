"""Reshaping layers (mlkit/layers/reshaping/): Flatten, Reshape, Permute,
RepeatVector, ZeroPadding2D, Cropping2D, UpSampling2D.

Each layer's output is compared with the NumPy call that does the same
thing, and its gradient is checked in float64 against finite differences.
"""

import json

import numpy as np
import pytest

from mlkit import layers
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(5)


def random_inputs(shape):
    return RNG.normal(size=shape)


def assert_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    return clone


# -- Flatten ------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 2, 3, 4), (3, 1, 1, 1, 2)])
def test_flatten_matches_numpy_and_gradients(shape):
    x = random_inputs(shape)
    layer = layers.Flatten(dtype="float64")
    np.testing.assert_array_equal(layer(x).numpy(), x.reshape(shape[0], -1))
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + shape[1:]) == (None, int(np.prod(shape[1:])))


def test_flatten_channels_first_orders_values_like_channels_last():
    x = random_inputs((2, 3, 4, 5))  # (batch, channels, height, width)
    out = layers.Flatten(data_format="channels_first", dtype="float64")(x).numpy()
    np.testing.assert_array_equal(out, np.moveaxis(x, 1, -1).reshape(2, -1))
    channels_last = layers.Flatten(dtype="float64")(np.moveaxis(x, 1, -1)).numpy()
    np.testing.assert_array_equal(out, channels_last)
    check_gradients(lambda t: layers.Flatten(data_format="channels_first", dtype="float64")(t), [x])


def test_flatten_edge_shapes_and_config():
    layer = layers.Flatten()
    assert layer(np.arange(3.0)).shape == (3, 1)  # (batch,) gains a feature axis, as in Keras
    assert layer.compute_output_shape((None,)) == (None, 1)
    assert layer.compute_output_shape((None, 3, None)) == (None, None)
    assert layer.compute_output_shape((8, 2, 5)) == (8, 10)
    assert layer.data_format == "channels_last"
    assert assert_config_round_trip(layers.Flatten(data_format="channels_first")).data_format == "channels_first"
    with pytest.raises(ValueError, match="data_format must be 'channels_last' or 'channels_first'"):
        layers.Flatten(data_format="channels_middle")
    with pytest.raises(ValueError, match='layer .flatten_scalar..*expected min_ndim=1'):
        layers.Flatten(name="flatten_scalar")(np.float32(3.0))


# -- Reshape ------------------------------------------------------------------
@pytest.mark.parametrize(
    "input_shape, target_shape, expected",
    [((2, 12), (3, 4), (3, 4)), ((2, 12), (-1, 2, 2), (3, 2, 2)), ((3, 2, 3, 2), (4, -1), (4, 3)), ((2, 5), (5, 1), (5, 1))],
)
def test_reshape_matches_numpy_and_gradients(input_shape, target_shape, expected):
    x = random_inputs(input_shape)
    layer = layers.Reshape(target_shape, dtype="float64")
    out = layer(x)
    assert out.shape == (input_shape[0],) + expected
    np.testing.assert_array_equal(out.numpy(), x.reshape((input_shape[0],) + expected))
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + input_shape[1:]) == (None,) + expected
    assert assert_config_round_trip(layer).target_shape == tuple(target_shape)


def test_reshape_output_shape_with_unknown_sizes():
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert layers.Reshape((3, 4)).compute_output_shape((None, None)) == (None, 3, 4)


def test_reshape_errors_name_the_layer():
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(TypeError, match="target_shape must be a tuple of ints"):
        layers.Reshape("3x4")
    layer = layers.Reshape((5,), name="to_five")
    with pytest.raises(ValueError, match=r"Reshape 'to_five': cannot reshape samples of shape \(12,\)"):
        layer(np.ones((2, 12), "float32"))
    with pytest.raises(ValueError, match="Reshape 'to_five'"):
        layer.compute_output_shape((None, 3, 4))
    with pytest.raises(ValueError, match="layer .no_batch..*expected min_ndim=1"):
        layers.Reshape((1,), name="no_batch")(np.float32(2.0))
    with pytest.raises(ValueError, match="Reshape 'odd'"):
        layers.Reshape((-1, 5), name="odd")(np.ones((2, 12), "float32"))


# -- Permute ------------------------------------------------------------------
@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute_matches_numpy_and_gradients(dims):
    shape = (2,) + tuple(range(3, 3 + len(dims)))
    x = random_inputs(shape)
    layer = layers.Permute(dims, dtype="float64")
    np.testing.assert_array_equal(layer(x).numpy(), np.transpose(x, (0,) + dims))
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + tuple(shape[d] for d in dims)
    assert assert_config_round_trip(layer).dims == dims


def test_permute_errors():
    with pytest.raises(ValueError, match=r"dims must be a permutation of 1..2 .*got dims=\(0, 1\)"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match='layer .swap..*expected ndim=3, found ndim=2'):
        layers.Permute((2, 1), name="swap")(np.ones((4, 5), "float32"))


# -- RepeatVector -------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 3])
def test_repeat_vector_matches_numpy_and_gradients(n):
    x = random_inputs((2, 5))
    layer = layers.RepeatVector(n, dtype="float64")
    out = layer(x).numpy()
    assert out.shape == (2, n, 5)
    np.testing.assert_array_equal(out, np.repeat(x[:, None, :], n, axis=1))
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None, 5)) == (None, n, 5)
    assert assert_config_round_trip(layer).n == n


def test_repeat_vector_errors():
    with pytest.raises(TypeError, match="RepeatVector .*n must be an integer"):
        layers.RepeatVector(2.5)
    with pytest.raises(ValueError, match='layer .repeat..*expected ndim=2, found ndim=3'):
        layers.RepeatVector(2, name="repeat")(np.ones((2, 3, 4), "float32"))


# -- ZeroPadding2D ------------------------------------------------------------
@pytest.mark.parametrize(
    "padding, pairs",
    [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((1, 0), (2, 3)), ((1, 0), (2, 3)))],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding2d_matches_numpy_and_gradients(padding, pairs, data_format):
    x = random_inputs((2, 3, 4, 2))
    layer = layers.ZeroPadding2D(padding, data_format=data_format, dtype="float64")
    assert layer.padding == pairs
    widths = ((0, 0), (0, 0), *pairs) if data_format == "channels_first" else ((0, 0), *pairs, (0, 0))
    expected = np.pad(x, widths)
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + expected.shape[1:]
    assert assert_config_round_trip(layer).padding == pairs


def test_zero_padding2d_defaults_and_errors():
    layer = layers.ZeroPadding2D()
    assert layer.padding == ((1, 1), (1, 1)) and layer.data_format == "channels_last"
    assert layer.compute_output_shape((None, None, 4, 3)) == (None, None, 6, 3)
    with pytest.raises(ValueError, match="ZeroPadding2D .*padding must be an int"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match='layer .pad..*expected ndim=4, found ndim=3'):
        layers.ZeroPadding2D(name="pad")(np.ones((2, 8, 8), "float32"))


# -- Cropping2D ---------------------------------------------------------------
@pytest.mark.parametrize(
    "cropping, pairs",
    [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((0, 1), (2, 0)), ((0, 1), (2, 0)))],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cropping2d_matches_numpy_and_gradients(cropping, pairs, data_format):
    x = random_inputs((2, 5, 6, 3))
    layer = layers.Cropping2D(cropping, data_format=data_format, dtype="float64")
    (top, bottom), (left, right) = pairs
    first = 2 if data_format == "channels_first" else 1
    index = [slice(None)] * 4
    index[first] = slice(top, x.shape[first] - bottom)
    index[first + 1] = slice(left, x.shape[first + 1] - right)
    expected = x[tuple(index)]
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + expected.shape[1:]
    assert assert_config_round_trip(layer).cropping == pairs


def test_cropping2d_undoes_zero_padding():
    x = random_inputs((2, 4, 4, 1))
    padded = layers.ZeroPadding2D(((1, 2), (3, 0)))(x)
    np.testing.assert_array_equal(layers.Cropping2D(((1, 2), (3, 0)))(padded).numpy(), x.astype("float32"))


def test_cropping2d_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Cropping2D 'crop': cropping \(\(2, 2\), \(0, 0\)\) removes all of axis 1"):
        layers.Cropping2D((2, 0), name="crop")(np.ones((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="Cropping2D .*cropping must be an int"):
        layers.Cropping2D(-1)
    assert layers.Cropping2D(1).compute_output_shape((None, None, 5, 2)) == (None, None, 3, 2)


# -- UpSampling2D -------------------------------------------------------------
def numpy_bilinear_upsample(image, factor_rows, factor_columns):
    """Half-pixel-centered bilinear resize of one (height, width) image, pixel by pixel."""
    height, width = image.shape
    out = np.zeros((height * factor_rows, width * factor_columns))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            y = min(max((i + 0.5) / factor_rows - 0.5, 0), height - 1)
            x = min(max((j + 0.5) / factor_columns - 0.5, 0), width - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
            dy, dx = y - y0, x - x0
            top = (1 - dx) * image[y0, x0] + dx * image[y0, x1]
            bottom = (1 - dx) * image[y1, x0] + dx * image[y1, x1]
            out[i, j] = (1 - dy) * top + dy * bottom
    return out


@pytest.mark.parametrize("size", [2, (1, 3), (3, 2)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_up_sampling2d_nearest_matches_numpy_and_gradients(size, data_format):
    x = random_inputs((2, 3, 2, 2))
    layer = layers.UpSampling2D(size, data_format=data_format, dtype="float64")
    rows, columns = layer.size
    first = 2 if data_format == "channels_first" else 1
    expected = np.repeat(np.repeat(x, rows, axis=first), columns, axis=first + 1)
    np.testing.assert_array_equal(layer(x).numpy(), expected)
    check_gradients(lambda t: layer(t), [x])
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + expected.shape[1:]
    assert assert_config_round_trip(layer).size == (rows, columns)


@pytest.mark.parametrize("size", [2, (3, 2)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_up_sampling2d_bilinear_matches_pixel_formula_and_gradients(size, data_format):
    x = random_inputs((2, 3, 4, 2)) if data_format == "channels_last" else random_inputs((2, 2, 3, 4))
    layer = layers.UpSampling2D(size, data_format=data_format, interpolation="bilinear", dtype="float64")
    out = layer(x).numpy()
    channels_last_x = x if data_format == "channels_last" else np.moveaxis(x, 1, -1)
    channels_last_out = out if data_format == "channels_last" else np.moveaxis(out, 1, -1)
    for sample in range(2):
        for channel in range(2):
            expected = numpy_bilinear_upsample(channels_last_x[sample, :, :, channel], *layer.size)
            np.testing.assert_allclose(channels_last_out[sample, :, :, channel], expected, rtol=1e-12)
    check_gradients(lambda t: layer(t), [x])


def test_up_sampling2d_bilinear_keeps_constant_images_constant():
    x = np.full((1, 3, 5, 1), 7.0)
    out = layers.UpSampling2D((4, 3), interpolation="bilinear", dtype="float64")(x).numpy()
    np.testing.assert_allclose(out, 7.0, rtol=1e-13)


def test_up_sampling2d_defaults_and_errors():
    layer = layers.UpSampling2D()
    assert (layer.size, layer.data_format, layer.interpolation) == ((2, 2), "channels_last", "nearest")
    assert layer.compute_output_shape((None, None, 3, 4)) == (None, None, 6, 4)
    with pytest.raises(NotImplementedError, match="interpolation='bicubic' is not available"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="UpSampling2D .*size must be a positive int"):
        layers.UpSampling2D(size=0)
    with pytest.raises(ValueError, match='layer .grow..*expected ndim=4'):
        layers.UpSampling2D(name="grow")(np.ones((2, 3, 3), "float32"))
