"""mlkit/optimizers/clipping.py: the three clipping rules, in place."""

import numpy as np

from mlkit.optimizers import clipping


def test_clip_by_value():
    gradients = [np.array([-2.0, 0.5, 3.0]), np.array([[0.1], [-0.9]])]
    clipping.clip_by_value(gradients, 0.5)
    np.testing.assert_array_equal(gradients[0], [-0.5, 0.5, 0.5])
    np.testing.assert_array_equal(gradients[1], [[0.1], [-0.5]])


def test_clip_by_norm_only_touches_long_gradients():
    gradients = [np.array([6.0, 8.0]), np.array([0.6, 0.8]), np.zeros(3)]
    clipping.clip_by_norm(gradients, 2.0)
    np.testing.assert_allclose(gradients[0], [1.2, 1.6])
    np.testing.assert_array_equal(gradients[1], [0.6, 0.8])
    np.testing.assert_array_equal(gradients[2], np.zeros(3))


def test_clip_by_global_norm_keeps_relative_sizes():
    gradients = [np.array([3.0]), np.array([[4.0, 0.0]])]  # global norm 5
    clipping.clip_by_global_norm(gradients, 1.0)
    np.testing.assert_allclose(gradients[0], [0.6])
    np.testing.assert_allclose(gradients[1], [[0.8, 0.0]])
    within = [np.array([0.3]), np.array([0.4])]
    clipping.clip_by_global_norm(within, 1.0)
    np.testing.assert_array_equal(within[0], [0.3])


def test_a_non_finite_global_norm_makes_every_gradient_nan():
    gradients = [np.array([np.inf]), np.array([1.0])]
    clipping.clip_by_global_norm(gradients, 1.0)
    assert np.isnan(gradients[1]).all()
