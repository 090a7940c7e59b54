"""Weights files: Keras's group layout, and weights matched by structure with a report of differences."""

import h5py
import numpy as np
import pytest

import mlkit
from mlkit import layers


class ConvBlock(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, padding="same")
        self.bn = layers.BatchNormalization()
        self.activation = layers.ReLU()
        self.heads = [layers.Dense(2), layers.Dense(2)]

    def call(self, inputs):
        return self.activation(self.bn(self.conv(inputs)))


def test_sublayers_are_stored_under_their_attribute_names_as_keras_does(tmp_path):
    model = mlkit.Sequential([mlkit.Input(shape=(8, 8, 1)), ConvBlock(2), layers.Flatten(), layers.Dense(3)])
    for head in model.layers[0].heads:
        head.build((None, 4))
    model.save_weights(tmp_path / "block.weights.h5")
    with h5py.File(tmp_path / "block.weights.h5", "r") as store:
        datasets = []
        store.visititems(lambda path, item: datasets.append(path) if isinstance(item, h5py.Dataset) else None)
        assert store["layers/conv_block/bn/vars"].attrs["name"] == model.layers[0].bn.name
    # What Keras 3.15 writes for the same model (checked with Keras): attributes sorted, lists by class name.
    assert datasets == [
        "layers/conv_block/bn/vars/0", "layers/conv_block/bn/vars/1", "layers/conv_block/bn/vars/2",
        "layers/conv_block/bn/vars/3", "layers/conv_block/conv/vars/0", "layers/conv_block/conv/vars/1",
        "layers/conv_block/heads/dense/vars/0", "layers/conv_block/heads/dense/vars/1",
        "layers/conv_block/heads/dense_1/vars/0", "layers/conv_block/heads/dense_1/vars/1",
        "layers/dense/vars/0", "layers/dense/vars/1",
    ]


def stack(*units):
    return mlkit.Sequential([mlkit.Input(shape=(4,))] + [layers.Dense(n) for n in units])


def test_a_model_built_by_code_gets_the_weights_even_with_other_layer_names(tmp_path):
    saved = stack(8, 2)
    saved.save_weights(tmp_path / "m.weights.h5")
    rebuilt = stack(8, 2)   # new automatic names (dense_7, ...): matched by structure
    assert [layer.name for layer in rebuilt.layers] != [layer.name for layer in saved.layers]
    rebuilt.load_weights(tmp_path / "m.weights.h5")
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), saved.predict(x, verbose=0))


@pytest.mark.parametrize("units, report", [
    ((8, 3), r"the architectures differ\. different shapes: 'dense_\w+' \(layers/dense_1/vars\) has shapes "
             r"\[\(8, 3\), \(3,\)\] in the model but \[\(8, 2\), \(2,\)\] in the file"),
    ((8, 2, 2), r"the file holds 4 weights, but the model has 6: .*missing from the file: 'dense_\w+' "
                r"\(layers/dense_2/vars: \['kernel', 'bias'\]\)"),
    ((8,), r"the file holds 4 weights, but the model has 2: .*in the file but not in the model: 'dense_\w+' "
           r"\(layers/dense_1/vars\)"),
])
def test_differences_are_reported_and_nothing_is_loaded(tmp_path, units, report):
    stack(8, 2).save_weights(tmp_path / "m.weights.h5")
    other = stack(*units)
    before = other.get_weights()
    with pytest.raises(ValueError, match=report):
        other.load_weights(tmp_path / "m.weights.h5")
    for now, then in zip(other.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_skip_mismatch_loads_what_fits_and_says_what_it_skipped(tmp_path):
    saved = stack(8, 2)
    saved.save_weights(tmp_path / "m.weights.h5")
    other = stack(8, 3)
    with pytest.warns(UserWarning, match=r"skipped what does not fit\. different shapes"):
        other.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), saved.layers[0].kernel.numpy())


def test_the_optimizer_state_is_saved_with_the_weights_and_restored(tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model = stack(8, 2)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x[:, :2], epochs=2, batch_size=8, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as store:
        assert store["optimizer/vars"].attrs["name"] == "adam"
        assert int(store["optimizer/vars/0"][()]) == 4   # iterations
        assert len(store["optimizer/vars"]) == 2 + 2 * 4   # iteration, learning rate, m and v per variable
    other = stack(8, 2)
    other.compile(optimizer="adam", loss="mse")
    other.optimizer.build(other.trainable_variables)
    other.load_weights(tmp_path / "m.weights.h5")
    assert int(other.optimizer.iterations.numpy()) == 4
    for mine, theirs in zip(other.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_a_file_that_is_not_hdf5_is_refused_clearly(tmp_path):
    path = tmp_path / "m.weights.h5"
    path.write_bytes(b"not hdf5 at all" * 10)
    with pytest.raises(ValueError, match=r"is not an HDF5 weights file"):
        stack(2).load_weights(path)
