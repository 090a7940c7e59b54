"""Conv1DTranspose and Conv2DTranspose (mlkit/layers/convolutional/conv_transpose.py).

The forward pass is compared with a loop in which every input value stamps a
weighted copy of the kernel into the output; gradients are checked in
float64. Output sizes, kernel layout and config follow Keras 3.
"""

import itertools
import json
import math

import numpy as np
import pytest

from mlkit import layers
from mlkit.utils.gradient_check import check_gradients


def naive_conv_transpose_layer(x, kernel, bias, strides, padding, dilation):
    """channels_last transposed convolution plus bias, by loops."""
    batch, *spatial, channels = x.shape
    window, filters = kernel.shape[:-2], kernel.shape[-2]
    reach = [d * (k - 1) + 1 for k, d in zip(window, dilation)]
    if padding == "same":
        out_sizes = [n * s for n, s in zip(spatial, strides)]
    else:
        out_sizes = [(n - 1) * s + max(r, s) for n, s, r in zip(spatial, strides, reach)]
    before = [
        0 if padding == "valid" else max((math.ceil(n / s) - 1) * s + r - n, 0) // 2
        for n, s, r in zip(out_sizes, strides, reach)
    ]
    out = np.zeros([batch, *out_sizes, filters]) + bias
    for b in range(batch):
        for position in itertools.product(*[range(n) for n in spatial]):
            for tap in itertools.product(*[range(k) for k in window]):
                target = [
                    p * s + t * d - pad for p, s, t, d, pad in zip(position, strides, tap, dilation, before)
                ]
                if all(0 <= i < n for i, n in zip(target, out_sizes)):
                    out[(b, *target)] += kernel[tap] @ x[(b, *position)]
    return out


OPTIONS = [
    (layers.Conv1DTranspose, (2, 4, 3), dict(filters=2, kernel_size=3, strides=2, padding="same")),
    (layers.Conv1DTranspose, (2, 4, 2), dict(filters=3, kernel_size=2, strides=3)),
    (layers.Conv2DTranspose, (2, 3, 4, 2), dict(filters=3, kernel_size=3, strides=2, padding="same")),
    (layers.Conv2DTranspose, (1, 3, 3, 2), dict(filters=2, kernel_size=(3, 2), strides=(2, 1))),
    (layers.Conv2DTranspose, (1, 4, 3, 2), dict(filters=2, kernel_size=3, dilation_rate=(2, 1), padding="same")),
]


def option_id(option):
    cls, shape, kwargs = option
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k != "filters")


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_forward_matches_loops_and_output_shape(option):
    cls, shape, kwargs = option
    x = np.random.default_rng(0).normal(size=shape)
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    out = layer(x).numpy()
    expected = naive_conv_transpose_layer(
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
    x = np.random.default_rng(2).normal(size=(1, 2, 3, 3))
    layer = layers.Conv2DTranspose(
        2, 3, strides=2, padding="same", data_format="channels_first", dtype="float64"
    )
    layer(x)
    check_gradients(lambda t: layer(t), [x] + layer.weights)


def test_kernel_layout_output_sizes_and_config_follow_keras():
    layer = layers.Conv2DTranspose(3, 3, strides=2, name="up")
    out = layer(np.zeros((2, 4, 5, 8), dtype="float32"))
    assert out.shape == (2, 9, 11, 3)  # 'valid': (n - 1) * stride + kernel
    assert [(w.path, w.shape) for w in layer.weights] == [("up/kernel", (3, 3, 3, 8)), ("up/bias", (3,))]
    assert layers.Conv2DTranspose(3, 1, strides=3).compute_output_shape((None, 4, 4, 1)) == (None, 12, 12, 3)
    same = layers.Conv2DTranspose(3, 3, strides=2, padding="same")
    assert same.compute_output_shape((None, None, 5, 1)) == (None, None, 10, 3)  # n * strides
    config = json.loads(json.dumps(layer.get_config()))
    assert "groups" not in config and config["strides"] == [2, 2] and config["padding"] == "valid"
    clone = layers.Conv2DTranspose.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose


def test_errors_name_the_layer_and_suggest_a_fix():
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'up' expects inputs of rank 4.*x\[\.\.\., None\]"):
        layers.Conv2DTranspose(2, 3, name="up")(np.zeros((4, 5, 5), dtype="float32"))
    built = layers.Conv2DTranspose(2, 3, name="up2")
    built(np.zeros((1, 4, 4, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"'up2' was built for inputs with 3 channels"):
        built(np.zeros((1, 4, 4, 2), dtype="float32"))
    with pytest.raises(ValueError, match="cannot be combined"):
        layers.Conv2DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv1DTranspose(2, 3, padding="causal")
