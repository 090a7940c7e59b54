"""SeparableConv1D and SeparableConv2D (mlkit/layers/convolutional/conv_separable.py).

A separable convolution must equal its definition: a depthwise convolution,
then a 1x1 convolution, then the bias — checked against a composition of
loop references, plus gradients for the inputs and all three weights.
"""

import itertools
import json

import numpy as np
import pytest

from mlkit import layers
from mlkit.utils.gradient_check import check_gradients


def naive_depthwise(x, kernel, strides, padding):
    batch, *spatial, channels = x.shape
    window, multiplier = kernel.shape[:-2], kernel.shape[-1]
    if padding == "valid":
        out_sizes, before = [(n - k) // s + 1 for n, k, s in zip(spatial, window, strides)], [0] * len(spatial)
    else:
        out_sizes = [-(-n // s) for n, s in zip(spatial, strides)]
        before = [max((o - 1) * s + k - n, 0) // 2 for o, s, k, n in zip(out_sizes, strides, window, spatial)]
    out = np.zeros([batch, *out_sizes, channels * multiplier])
    for b, c, m in itertools.product(range(batch), range(channels), range(multiplier)):
        for position in itertools.product(*[range(n) for n in out_sizes]):
            for tap in itertools.product(*[range(k) for k in window]):
                source = [p * s + t - pad for p, s, t, pad in zip(position, strides, tap, before)]
                if all(0 <= i < n for i, n in zip(source, spatial)):
                    out[(b, *position, c * multiplier + m)] += x[(b, *source, c)] * kernel[(*tap, c, m)]
    return out


OPTIONS = [
    (layers.SeparableConv1D, (2, 7, 3), dict(filters=4, kernel_size=3, padding="same")),
    (layers.SeparableConv2D, (2, 5, 6, 2), dict(filters=3, kernel_size=3, depth_multiplier=2)),
    (layers.SeparableConv2D, (1, 6, 5, 3), dict(filters=2, kernel_size=(2, 3), strides=(2, 1), padding="same")),
]


def option_id(option):
    cls, shape, kwargs = option
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_forward_is_depthwise_then_pointwise_then_bias(option):
    cls, shape, kwargs = option
    x = np.random.default_rng(0).normal(size=shape)
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    out = layer(x).numpy()
    depthwise = naive_depthwise(x, layer.depthwise_kernel.numpy(), layer.strides, layer.padding)
    pointwise = layer.pointwise_kernel.numpy().reshape(-1, layer.filters)
    np.testing.assert_allclose(out, depthwise @ pointwise + layer.bias.numpy(), atol=1e-12)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_gradients_for_inputs_and_weights(option):
    cls, shape, kwargs = option
    x = np.random.default_rng(1).normal(size=(1,) + shape[1:])
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    layer(x)
    check_gradients(lambda t: layer(t), [x] + layer.weights)


def test_channels_first_matches_channels_last_and_gradients():
    x = np.random.default_rng(2).normal(size=(1, 5, 5, 2))
    last = layers.SeparableConv2D(3, 3, padding="same", dtype="float64")
    first = layers.SeparableConv2D(3, 3, padding="same", data_format="channels_first", dtype="float64")
    x_first = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    last(x)
    first(x_first)
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(np.moveaxis(first(x_first).numpy(), 1, -1), last(x).numpy(), atol=1e-12)
    check_gradients(lambda t: first(t), [x_first] + first.weights)


def test_weights_and_config_follow_keras():
    layer = layers.SeparableConv2D(8, 3, depth_multiplier=2, name="sep")
    layer(np.zeros((1, 6, 6, 3), dtype="float32"))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("sep/depthwise_kernel", (3, 3, 3, 2)),
        ("sep/pointwise_kernel", (1, 1, 6, 8)),
        ("sep/bias", (8,)),
    ]
    config = json.loads(json.dumps(layer.get_config()))
    assert config["depth_multiplier"] == 2 and config["filters"] == 8
    expected_keys = {"depthwise_initializer", "pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"}
    assert expected_keys <= set(config)
    clone = layers.SeparableConv2D.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


def test_errors():
    with pytest.raises(ValueError, match=r"SeparableConv1D 'sep1' expects inputs of rank 3"):
        layers.SeparableConv1D(2, 3, name="sep1")(np.zeros((8,), dtype="float32"))
    built = layers.SeparableConv2D(2, 3, name="sep2")
    built(np.zeros((1, 5, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"'sep2' was built for inputs with 3 channels"):
        built(np.zeros((1, 5, 5, 4), dtype="float32"))
