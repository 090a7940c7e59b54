"""MaxPooling1D/2D and AveragePooling1D/2D (mlkit/layers/pooling/pooling.py).

Outputs against a loop over the windows, gradients in float64 for every
pool size / strides / padding / data format, and Keras 3's defaults and
config keys.
"""

import itertools
import json
import math

import numpy as np
import pytest

from mlkit import layers
from mlkit.utils.gradient_check import check_gradients


def naive_pool(x, pool_size, strides, padding, mode):
    """channels_last pooling by loops; positions outside the input are skipped."""
    batch, *spatial, channels = x.shape
    if padding == "valid":
        out_sizes = [(n - p) // s + 1 for n, p, s in zip(spatial, pool_size, strides)]
        before = [0] * len(spatial)
    else:
        out_sizes = [math.ceil(n / s) for n, s in zip(spatial, strides)]
        totals = [max((o - 1) * s + p - n, 0) for o, s, p, n in zip(out_sizes, strides, pool_size, spatial)]
        before = [total // 2 for total in totals]
    out = np.zeros([batch, *out_sizes, channels])
    reduce = np.max if mode == "max" else np.mean
    for b, c in itertools.product(range(batch), range(channels)):
        for position in itertools.product(*[range(n) for n in out_sizes]):
            values = []
            for tap in itertools.product(*[range(p) for p in pool_size]):
                source = [o * s + t - pad for o, s, t, pad in zip(position, strides, tap, before)]
                if all(0 <= i < n for i, n in zip(source, spatial)):
                    values.append(x[(b, *source, c)])
            out[(b, *position, c)] = reduce(values)
    return out


OPTIONS = [
    ((2, 8, 3), dict()),
    ((2, 7, 2), dict(pool_size=3, strides=2, padding="same")),
    ((2, 9, 2), dict(pool_size=2, strides=3)),
    ((2, 6, 6, 2), dict()),
    ((2, 7, 5, 2), dict(pool_size=(2, 3))),
    ((1, 5, 5, 3), dict(pool_size=3, strides=1, padding="same")),
    ((1, 7, 6, 2), dict(pool_size=(3, 2), strides=(2, 1))),
]
CLASSES = {
    ("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
    ("average", 1): layers.AveragePooling1D, ("average", 2): layers.AveragePooling2D,
}


def option_id(option):
    shape, kwargs = option
    return f"{len(shape) - 2}d-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_forward_matches_loops_in_both_data_formats(option, mode):
    shape, kwargs = option
    cls = CLASSES[mode, len(shape) - 2]
    x = np.random.default_rng(0).normal(size=shape)
    layer = cls(**kwargs, dtype="float64")
    out = layer(x).numpy()
    expected = naive_pool(x, layer.pool_size, layer.strides, layer.padding, mode)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]
    first = cls(**kwargs, data_format="channels_first", dtype="float64")
    out_first = first(np.ascontiguousarray(np.moveaxis(x, -1, 1))).numpy()
    np.testing.assert_allclose(np.moveaxis(out_first, 1, -1), out, atol=1e-12)
    first_input_shape = (None, shape[-1]) + shape[1:-1]
    assert first.compute_output_shape(first_input_shape) == (None,) + out_first.shape[1:]


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("option", OPTIONS, ids=option_id)
def test_gradients(option, mode):
    shape, kwargs = option
    layer = CLASSES[mode, len(shape) - 2](**kwargs, dtype="float64")
    check_gradients(lambda t: layer(t), [np.random.default_rng(1).normal(size=shape)])


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
def test_gradients_channels_first(cls):
    layer = cls(3, strides=2, padding="same", data_format="channels_first", dtype="float64")
    check_gradients(lambda t: layer(t), [np.random.default_rng(2).normal(size=(1, 2, 5, 6))])


def test_defaults_and_config_follow_keras():
    config = layers.MaxPooling2D(name="pool").get_config()
    assert {k: v for k, v in config.items() if k != "dtype"} == {
        "name": "pool",
        "trainable": True,
        "pool_size": (2, 2),
        "padding": "valid",
        "strides": (2, 2),  # strides=None means strides = pool_size
        "data_format": "channels_last",
    }
    assert layers.AveragePooling1D().get_config()["pool_size"] == (2,)
    layer = layers.AveragePooling2D((3, 2), strides=1, padding="SAME", data_format="channels_first")
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.AveragePooling2D.from_config(config)
    assert clone.pool_size == (3, 2) and clone.strides == (1, 1) and clone.padding == "same"
    assert json.loads(json.dumps(clone.get_config())) == config
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.MaxPooling2D().weights == []


def test_compute_output_shape_with_unknown_sizes():
    assert layers.MaxPooling2D().compute_output_shape((None, None, 7, 3)) == (None, None, 3, 3)
    assert layers.MaxPooling1D(3, padding="same").compute_output_shape((4, 10, 2)) == (4, 4, 2)


def test_errors_name_the_layer_and_suggest_a_fix():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'pool' expects inputs of rank 4.*x\[\.\.\., None\]"):
        layers.MaxPooling2D(name="pool")(np.zeros((16, 8, 8), dtype="float32"))
    with pytest.raises(ValueError, match=r"'pool1' expects inputs of rank 3"):
        layers.AveragePooling1D(name="pool1").compute_output_shape((None, 4, 4, 1))
    with pytest.raises(ValueError, match=r"'tiny': inputs of shape .* are smaller than pool_size"):
        layers.MaxPooling2D(3, name="tiny").compute_output_shape((None, 2, 2, 1))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'tiny2': .*smaller than the window"):
        layers.MaxPooling2D(3, name="tiny2")(np.zeros((1, 2, 5, 1), dtype="float32"))
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling2D(padding="causal")
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(pool_size=(2, 2, 2))
