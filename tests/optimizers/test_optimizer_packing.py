"""mlkit/optimizers/packing.py: variables stored end to end in one array."""

import numpy as np

import mlkit
from mlkit.optimizers.packing import PackedVariables


def make():
    kernel = mlkit.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="kernel")
    bias = mlkit.Variable(np.array([10.0, 20.0, 30.0], dtype="float32"), name="bias")
    scalar = mlkit.Variable(np.array(7.0, dtype="float32"), name="scalar")
    return kernel, bias, scalar


def test_values_become_views_of_one_flat_array():
    kernel, bias, scalar = make()
    packed = PackedVariables([kernel, bias, scalar])
    np.testing.assert_array_equal(packed.flat, [0, 1, 2, 3, 4, 5, 10, 20, 30, 7])
    assert kernel.shape == (2, 3) and scalar.shape == ()
    packed.flat *= 2.0
    np.testing.assert_array_equal(kernel.numpy(), np.arange(6).reshape(2, 3) * 2)
    assert float(scalar.numpy()) == 14.0
    assert np.shares_memory(bias.data, packed.flat)


def test_reclaim_takes_back_a_reassigned_variable():
    kernel, bias, scalar = make()
    packed = PackedVariables([kernel, bias, scalar])
    bias.assign([1.0, 2.0, 3.0])
    assert not np.shares_memory(bias.data, packed.flat)
    packed.reclaim()
    assert np.shares_memory(bias.data, packed.flat)
    np.testing.assert_array_equal(packed.flat[6:9], [1.0, 2.0, 3.0])
    packed.flat[6:9] = 0.0
    np.testing.assert_array_equal(bias.numpy(), [0.0, 0.0, 0.0])


def test_split_gives_matching_views_of_another_flat_array():
    kernel, bias, scalar = make()
    packed = PackedVariables([kernel, bias, scalar])
    other = np.arange(10, dtype="float32")
    views = packed.split(other)
    assert [v.shape for v in views] == [(2, 3), (3,), ()]
    np.testing.assert_array_equal(views[1], [6, 7, 8])
    views[2][...] = -1
    assert other[9] == -1
