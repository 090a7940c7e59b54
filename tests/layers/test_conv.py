"""Conv1D and Conv2D (mlkit/layers/convolutional/conv.py).

Outputs are compared with a convolution written as plain loops (with the
padding rules spelled out here, independently of the library); gradients
with respect to the inputs and both weights are checked in float64 against
finite differences for every option. Arguments, defaults, weight names and
config keys follow Keras 3.
"""

import itertools
import json
import math

import numpy as np
import pytest

from mlkit import GradientTape, layers, ops, regularizers
from mlkit.utils.gradient_check import check_gradients


def reference_pads(length, window, stride, dilation, padding):
    reach = dilation * (window - 1) + 1
    if padding == "valid":
        return 0
    if padding == "causal":
        return reach - 1
    return max((math.ceil(length / stride) - 1) * stride + reach - length, 0) // 2


def naive_conv_layer(x, kernel, bias, strides, padding, dilation):
    """activation-free Conv layer on channels_last inputs, one output value at a time."""
    batch, *spatial, channels = x.shape
    window, (group_channels, filters) = kernel.shape[:-2], kernel.shape[-2:]
    per_group = filters // (channels // group_channels)
    before = [reference_pads(n, k, s, d, padding) for n, k, s, d in zip(spatial, window, strides, dilation)]
    if padding == "valid":
        out_sizes = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, window, strides, dilation)]
    else:
        out_sizes = [math.ceil(n / s) for n, s in zip(spatial, strides)]
    out = np.zeros([batch, *out_sizes, filters])
    for b, f in itertools.product(range(batch), range(filters)):
        channel_slice = slice(f // per_group * group_channels, (f // per_group + 1) * group_channels)
        for position in itertools.product(*[range(n) for n in out_sizes]):
            total = 0.0 if bias is None else bias[f]
            for tap in itertools.product(*[range(k) for k in window]):
                source = [
                    p * s + t * d - pad for p, s, t, d, pad in zip(position, strides, tap, dilation, before)
                ]
                if all(0 <= i < n for i, n in zip(source, spatial)):
                    total += x[(b, *source, channel_slice)] @ kernel[(*tap, slice(None), f)]
            out[(b, *position, f)] = total
    return out


def to_channels_first(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def assert_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    return clone


# (layer class, input shape, keyword arguments)
OPTIONS = [
    (layers.Conv1D, (2, 7, 3), dict(filters=4, kernel_size=3)),
    (layers.Conv1D, (2, 7, 3), dict(filters=2, kernel_size=2, strides=2, padding="same")),
    (layers.Conv1D, (2, 7, 2), dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2)),
    (layers.Conv1D, (2, 6, 4), dict(filters=6, kernel_size=2, padding="same", groups=2)),
    (layers.Conv2D, (2, 5, 6, 3), dict(filters=4, kernel_size=3)),
    (layers.Conv2D, (2, 6, 5, 2), dict(filters=3, kernel_size=(3, 2), strides=(2, 1), padding="same")),
    (layers.Conv2D, (1, 7, 6, 2), dict(filters=2, kernel_size=3, padding="same", dilation_rate=(2, 1))),
    (layers.Conv2D, (2, 5, 5, 4), dict(filters=4, kernel_size=2, groups=2, use_bias=False)),
]


def option_id(option):
    cls, shape, kwargs = option
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k != "filters")


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_forward_matches_loops_in_both_data_formats(option):
    cls, shape, kwargs = option
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    out = layer(x).numpy()
    bias = layer.bias.numpy() if layer.use_bias else None
    kernel = layer.kernel.numpy()
    expected = naive_conv_layer(x, kernel, bias, layer.strides, layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]

    first = cls(**kwargs, data_format="channels_first", dtype="float64")
    x_first, out_first = to_channels_first(x), to_channels_first(out)
    first(x_first)
    first.set_weights(layer.get_weights())
    np.testing.assert_allclose(first(x_first).numpy(), out_first, atol=1e-12)
    assert first.compute_output_shape((None,) + x_first.shape[1:]) == (None,) + out_first.shape[1:]


@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_gradients_for_inputs_and_weights(option):
    cls, shape, kwargs = option
    x = np.random.default_rng(1).normal(size=(1,) + shape[1:])
    layer = cls(**kwargs, bias_initializer="random_normal", dtype="float64")
    layer(x)
    check_gradients(lambda t: layer(t), [x] + layer.weights)


@pytest.mark.parametrize("option", [OPTIONS[1], OPTIONS[3], OPTIONS[5]], ids=option_id)
def test_gradients_channels_first(option):
    cls, shape, kwargs = option
    x = to_channels_first(np.random.default_rng(2).normal(size=(1,) + shape[1:]))
    layer = cls(**kwargs, data_format="channels_first", bias_initializer="random_normal", dtype="float64")
    layer(x)
    check_gradients(lambda t: layer(t), [x] + layer.weights)


def test_activation_is_applied_after_the_bias():
    x = np.random.default_rng(3).normal(size=(2, 5, 5, 1))
    layer = layers.Conv2D(3, 3, activation="relu", bias_initializer="ones", dtype="float64")
    out = layer(x).numpy()
    linear = naive_conv_layer(x, layer.kernel.numpy(), np.ones(3), (1, 1), "valid", (1, 1))
    assert (linear < 0).any()  # so that the ReLU has something to do
    np.testing.assert_allclose(out, np.maximum(linear, 0), atol=1e-12)


def test_weights_names_shapes_and_order_follow_keras():
    conv = layers.Conv2D(8, 3, groups=2, name="conv")
    conv(np.zeros((1, 6, 6, 4), dtype="float32"))
    assert [(w.path, w.shape) for w in conv.weights] == [("conv/kernel", (3, 3, 2, 8)), ("conv/bias", (8,))]
    assert conv.count_params() == 3 * 3 * 2 * 8 + 8
    no_bias = layers.Conv1D(2, 5, use_bias=False)
    no_bias(np.zeros((1, 9, 3), dtype="float32"))
    assert [w.name for w in no_bias.weights] == ["kernel"] and no_bias.bias is None


def test_default_config_matches_keras():
    config = layers.Conv2D(16, 3, name="conv").get_config()
    assert config == {
        "name": "conv",
        "trainable": True,
        "dtype": config["dtype"],
        "filters": 16,
        "kernel_size": (3, 3),
        "strides": (1, 1),
        "padding": "valid",
        "data_format": "channels_last",
        "dilation_rate": (1, 1),
        "groups": 1,
        "activation": "linear",
        "use_bias": True,
        "kernel_initializer": config["kernel_initializer"],
        "bias_initializer": config["bias_initializer"],
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert layers.Conv1D(4, 3).get_config()["kernel_size"] == (3,)


def test_config_round_trip_keeps_every_setting():
    layer = layers.Conv1D(
        6, 3, strides=1, padding="CAUSAL", data_format="channels_first", dilation_rate=2, groups=3,
        activation="tanh", use_bias=False, kernel_regularizer="l2", activity_regularizer=regularizers.L1(0.1),
    )
    clone = assert_config_round_trip(layer)
    assert clone.padding == "causal" and clone.groups == 3 and clone.dilation_rate == (2,)
    assert clone.data_format == "channels_first" and clone.activation.__name__ == "tanh"
    assert isinstance(clone.kernel_regularizer, regularizers.L2)
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution1D is layers.Conv1D


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (layers.Conv2D(4, 3), (None, 28, 28, 1), (None, 26, 26, 4)),
        (layers.Conv2D(4, 3, strides=2, padding="same"), (None, 7, 8, 3), (None, 4, 4, 4)),
        (layers.Conv2D(4, 3, padding="same"), (None, None, None, 3), (None, None, None, 4)),
        (layers.Conv2D(4, 3, dilation_rate=2, data_format="channels_first"), (8, 3, 9, 10), (8, 4, 5, 6)),
        (layers.Conv1D(5, 4, strides=3, padding="causal"), (None, 10, 2), (None, 4, 5)),
        (layers.Conv1D(5, 4, strides=3), (2, 10, 2), (2, 3, 5)),
    ],
)
def test_compute_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected
    if None not in input_shape[1:]:
        concrete = (2,) + input_shape[1:]
        assert layer(np.zeros(concrete, dtype="float32")).shape == (2,) + expected[1:]


def test_a_batch_without_channel_axis_gets_a_hint():
    layer = layers.Conv2D(4, 3, name="digits_conv")
    with pytest.raises(ValueError, match=r"Conv2D 'digits_conv' expects inputs of rank 4.*x\[\.\.\., None\]"):
        layer(np.zeros((16, 8, 8), dtype="float32"))
    with pytest.raises(ValueError, match=r"rank 4.*received shape \(None, 8, 8\)"):
        layer.compute_output_shape((None, 8, 8))
    with pytest.raises(ValueError, match=r"x\[:, None\]"):
        layers.Conv1D(2, 3, data_format="channels_first")(np.zeros((4, 10), dtype="float32"))


def test_a_built_layer_rejects_other_ranks_and_channel_counts():
    layer = layers.Conv2D(4, 3, name="rgb_conv")
    layer(np.zeros((1, 8, 8, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"'rgb_conv' was built for inputs with 3 channels.*shape \(1, 8, 8, 1\)"):
        layer(np.zeros((1, 8, 8, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"'rgb_conv' expects inputs of rank 4"):
        layer(np.zeros((1, 2, 8, 8, 3), dtype="float32"))


def test_argument_errors():
    with pytest.raises(ValueError, match="filters"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="input channels must be divisible"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match="cannot be combined"):
        layers.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(4, 3, padding="causal")  # causal is for sequences only
    with pytest.raises(ValueError, match="kernel_size"):
        layers.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match=r"'small': inputs of shape .* are too small"):
        layers.Conv2D(4, 5, name="small")(np.zeros((1, 3, 3, 1), dtype="float32"))
    built = layers.Conv2D(4, 5, name="built")
    built(np.zeros((1, 8, 8, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'built': .*smaller than the window"):
        built(np.zeros((1, 3, 8, 1), dtype="float32"))


def test_regularizers_add_losses():
    layer = layers.Conv2D(
        2, 3, kernel_regularizer=regularizers.L2(0.5), activity_regularizer=regularizers.L1(0.1)
    )
    out = layer(np.ones((1, 4, 4, 1), dtype="float32"))
    penalties = sorted(float(loss) for loss in layer.losses)
    expected = sorted([0.5 * np.sum(layer.kernel.numpy() ** 2), 0.1 * np.abs(out.numpy()).sum()])
    np.testing.assert_allclose(penalties, expected, rtol=1e-5)


def test_a_call_records_a_conv_node_and_a_bias_node():
    layer = layers.Conv2D(4, 3, padding="same")
    x = ops.ones((2, 6, 6, 1))
    layer(x)
    with GradientTape():
        out = layer(x)
    conv_node = out.parents[0]
    assert out.parents[1] is layer.bias
    assert conv_node.parents == (x, layer.kernel)
