"""GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D (mlkit/layers/pooling/global_pooling.py)."""

import json

import numpy as np
import pytest

from mlkit import GradientTape, layers, ops
from mlkit.utils.gradient_check import check_gradients

# (class, input shape, reduction, spatial axes for channels_last)
CASES = [
    (layers.GlobalAveragePooling1D, (2, 5, 3), np.mean, (1,)),
    (layers.GlobalAveragePooling2D, (2, 4, 5, 3), np.mean, (1, 2)),
    (layers.GlobalMaxPooling1D, (2, 5, 3), np.max, (1,)),
    (layers.GlobalMaxPooling2D, (2, 4, 5, 3), np.max, (1, 2)),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("cls, shape, reduce, axes", CASES, ids=[c[0].__name__ for c in CASES])
def test_forward_shapes_and_gradients(cls, shape, reduce, axes, keepdims):
    x = np.random.default_rng(0).normal(size=shape)
    layer = cls(keepdims=keepdims, dtype="float64")
    out = layer(x).numpy()
    np.testing.assert_allclose(out, reduce(x, axis=axes, keepdims=keepdims))
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + out.shape[1:]
    check_gradients(lambda t: layer(t), [x])

    first = cls(keepdims=keepdims, data_format="channels_first", dtype="float64")
    x_first = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    out_first = first(x_first).numpy()
    np.testing.assert_allclose(out_first, reduce(x_first, axis=tuple(a + 1 for a in axes), keepdims=keepdims))
    assert first.compute_output_shape((None,) + x_first.shape[1:]) == (None,) + out_first.shape[1:]
    check_gradients(lambda t: first(t), [x_first])


def test_global_max_ties_share_the_gradient_like_a_reduce_max():
    x = ops.convert_to_tensor(np.ones((1, 4, 1)))
    with GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(layers.GlobalMaxPooling1D()(x))
    np.testing.assert_allclose(tape.gradient(total, x).numpy().ravel(), [0.25] * 4)


def test_global_average_1d_averages_only_the_masked_steps():
    x = np.arange(12.0).reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, False, False]])
    layer = layers.GlobalAveragePooling1D(dtype="float64")
    out = layer(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [[1.0, 2.0], [6.0, 7.0]])
    check_gradients(lambda t: layer(t, mask=mask), [x])
    first = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True, dtype="float64")
    out_first = first(np.moveaxis(x, -1, 1), mask=mask).numpy()
    np.testing.assert_allclose(out_first[..., 0], out)
    assert layer.supports_masking and layer.compute_mask(x, mask) is None


def test_config_round_trip_and_aliases():
    layer = layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True, name="gap")
    config = json.loads(json.dumps(layer.get_config()))
    assert {k: v for k, v in config.items() if k != "dtype"} == {
        "name": "gap", "trainable": True, "data_format": "channels_first", "keepdims": True,
    }
    assert layers.GlobalAveragePooling2D.from_config(config).get_config() == config
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D


def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"GlobalAveragePooling2D 'gap' expects .*rank 4.*x\[\.\.\., None\]"):
        layers.GlobalAveragePooling2D(name="gap")(np.zeros((2, 8, 8), dtype="float32"))
    with pytest.raises(ValueError, match=r"'gmp' expects inputs of rank 3"):
        layers.GlobalMaxPooling1D(name="gmp").compute_output_shape((None, 4, 4, 2))
