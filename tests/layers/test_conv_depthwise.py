"""DepthwiseConv1D and DepthwiseConv2D (mlkit/layers/convolutional/conv_depthwise.py).

Every input channel is convolved with its own filters; the reference does
exactly that, channel by channel, with loops.
"""

import itertools
import json

import numpy as np
import pytest

from mlkit import layers
from mlkit.utils.gradient_check import check_gradients


def naive_depthwise_layer(x, kernel, bias, strides, padding, dilation):
    """channels_last depthwise convolution plus bias: output channel c * multiplier + m."""
    batch, *spatial, channels = x.shape
    window, multiplier = kernel.shape[:-2], kernel.shape[-1]
    reach = [d * (k - 1) + 1 for k, d in zip(window, dilation)]
    if padding == "valid":
        out_sizes, before = [(n - r) // s + 1 for n, r, s in zip(spatial, reach, strides)], [0] * len(spatial)
    else:
        out_sizes = [-(-n // s) for n, s in zip(spatial, strides)]
        before = [max((o - 1) * s + r - n, 0) // 2 for o, s, r, n in zip(out_sizes, strides, reach, spatial)]
    out = np.zeros([batch, *out_sizes, channels * multiplier]) + bias
    for b, c, m in itertools.product(range(batch), range(channels), range(multiplier)):
        for position in itertools.product(*[range(n) for n in out_sizes]):
            for tap in itertools.product(*[range(k) for k in window]):
                source = [
                    p * s + t * d - pad for p, s, t, d, pad in zip(position, strides, tap, dilation, before)
                ]
                if all(0 <= i < n for i, n in zip(source, spatial)):
                    out[(b, *position, c * multiplier + m)] += x[(b, *source, c)] * kernel[(*tap, c, m)]
    return out


OPTIONS = [
    (layers.DepthwiseConv1D, (2, 7, 3), dict(kernel_size=3)),
    (layers.DepthwiseConv1D, (2, 7, 2), dict(kernel_size=2, strides=2, padding="same", depth_multiplier=2)),
    (layers.DepthwiseConv2D, (2, 5, 6, 3), dict(kernel_size=3, depth_multiplier=2)),
    (layers.DepthwiseConv2D, (1, 6, 5, 2), dict(kernel_size=(3, 2), strides=(2, 1), padding="same")),
    (layers.DepthwiseConv2D, (1, 7, 6, 2), dict(kernel_size=3, padding="same", dilation_rate=(1, 2))),
]


def option_id(option):
    cls, shape, kwargs = option
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_forward_matches_loops_in_both_data_formats(option):
    cls, shape, kwargs = option
    x = np.random.default_rng(0).normal(size=shape)
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    out = layer(x).numpy()
    expected = naive_depthwise_layer(
        x, layer.kernel.numpy(), layer.bias.numpy(), layer.strides, layer.padding, layer.dilation_rate
    )
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]
    first = cls(**kwargs, data_format="channels_first", dtype="float64")
    x_first = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    first(x_first)
    first.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.moveaxis(first(x_first).numpy(), 1, -1), out, atol=1e-12)


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_gradients_for_inputs_and_weights(option):
    cls, shape, kwargs = option
    x = np.random.default_rng(1).normal(size=(1,) + shape[1:])
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    layer(x)
    check_gradients(lambda t: layer(t), [x] + layer.weights)


def test_gradients_channels_first():
    x = np.random.default_rng(2).normal(size=(1, 2, 5, 5))
    layer = layers.DepthwiseConv2D(
        3, padding="same", depth_multiplier=2, data_format="channels_first", dtype="float64"
    )
    layer(x)
    check_gradients(lambda t: layer(t), [x] + layer.weights)


def test_weights_and_config_follow_keras():
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")
    layer(np.zeros((1, 5, 5, 4), dtype="float32"))
    assert [(w.path, w.shape) for w in layer.weights] == [("dw/kernel", (3, 3, 4, 2)), ("dw/bias", (8,))]
    config = json.loads(json.dumps(layer.get_config()))
    assert [key for key in config if key.startswith("depthwise_")] == [
        "depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"
    ]
    assert config["depth_multiplier"] == 2 and config["kernel_size"] == [3, 3]
    clone = layers.DepthwiseConv2D.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config


def test_errors():
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'dw' expects inputs of rank 4.*x\[\.\.\., None\]"):
        layers.DepthwiseConv2D(3, name="dw")(np.zeros((2, 6, 6), dtype="float32"))
    with pytest.raises(ValueError, match="depth_multiplier"):
        layers.DepthwiseConv2D(3, depth_multiplier=0)
