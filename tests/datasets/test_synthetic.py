"""Tests for mlkit.datasets.synthetic: seeded toy data for teaching."""

import doctest

import numpy as np
import pytest

import mlkit.datasets as datasets
from mlkit.datasets import synthetic
from mlkit.datasets.synthetic import (
    moons,
    noise_free_target,
    noisy_regression,
    sequence_task,
    two_spirals,
)

CLASSIFIERS = [two_spirals, moons, sequence_task]
ALL_GENERATORS = CLASSIFIERS + [noisy_regression]


@pytest.mark.parametrize("make", ALL_GENERATORS)
def test_same_seed_same_data_other_seed_other_data(make):
    x1, y1 = make(n_samples=101, seed=3)
    x2, y2 = make(n_samples=101, seed=3)
    x3, _ = make(n_samples=101, seed=4)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("make", CLASSIFIERS)
def test_classification_labels_are_balanced_int_0_or_1(make):
    x, y = make(n_samples=301, seed=0)
    assert x.dtype == np.float32 and len(x) == 301
    assert y.shape == (301,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    assert abs(int((y == 0).sum()) - int((y == 1).sum())) <= 1
    assert len(set(y[:20])) == 2  # shuffled, not sorted by class


def test_two_spirals_follow_the_documented_curve():
    x, y = two_spirals(n_samples=200, noise=0.0, seed=1)
    assert x.shape == (200, 2)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.max() <= 1.0 + 1e-6
    angle = radius * 3 * np.pi + np.pi * y
    expected = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    np.testing.assert_allclose(x, expected, atol=1e-5)


def test_moons_lie_on_their_half_circles_without_noise():
    x, y = moons(n_samples=200, noise=0.0, seed=1)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-5)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6


def test_noise_moves_points_off_the_curve():
    clean, _ = moons(n_samples=200, noise=0.0, seed=1)
    noisy, _ = moons(n_samples=200, noise=0.2, seed=1)
    assert not np.allclose(clean, noisy)


@pytest.mark.parametrize("n_features", [1, 3])
def test_noisy_regression_is_the_known_curve_plus_noise(n_features):
    x, y = noisy_regression(n_samples=2000, n_features=n_features, noise=0.1, seed=0)
    assert x.shape == (2000, n_features) and y.shape == (2000, 1)
    assert x.dtype == y.dtype == np.float32
    assert x.min() >= -1 and x.max() <= 1
    residual = y - noise_free_target(x)
    assert abs(residual.std() - 0.1) < 0.01 and abs(residual.mean()) < 0.01
    x0, y0 = noisy_regression(n_samples=50, n_features=n_features, noise=0.0, seed=0)
    np.testing.assert_allclose(y0, np.sin(np.pi * x0).sum(axis=1, keepdims=True), atol=1e-6)


def test_sequence_task_shapes_and_markers():
    x, y = sequence_task(n_samples=500, timesteps=12, features=5, seed=0)
    assert x.shape == (500, 12, 5) and x.dtype == np.float32
    # Exactly one marker of each kind, at two different time steps.
    for channel in (0, 1):
        assert np.array_equal((x[:, :, channel] == 1.0).sum(axis=1), np.ones(500))
        assert np.array_equal((x[:, :, channel] != 0.0).sum(axis=1), np.ones(500))
    assert (x[:, :, 0].argmax(axis=1) != x[:, :, 1].argmax(axis=1)).all()


def test_sequence_task_label_is_the_documented_rule():
    x, y = sequence_task(n_samples=1000, seed=5)
    a_before_b = x[:, :, 0].argmax(axis=1) < x[:, :, 1].argmax(axis=1)
    assert np.array_equal(y, a_before_b.astype(np.int64))


def test_sequence_task_shortest_sequences_work():
    x, y = sequence_task(n_samples=10, timesteps=2, features=2, seed=0)
    assert x.shape == (10, 2, 2)
    assert np.array_equal(y, (x[:, 0, 0] == 1.0).astype(np.int64))


def _linear_accuracy(train_features, train_labels, test_features, test_labels):
    """Least-squares linear classifier: fit on one set, score on another."""
    def with_bias(f):
        return np.column_stack([f, np.ones(len(f))])
    weights, *_ = np.linalg.lstsq(with_bias(train_features), 2.0 * train_labels - 1, rcond=None)
    return ((with_bias(test_features) @ weights > 0) == test_labels).mean()


def test_sequence_task_needs_order_not_averages():
    x_train, y_train = sequence_task(n_samples=2000, seed=0)
    x_test, y_test = sequence_task(n_samples=2000, seed=1)
    # Averaging over time throws the order away: no better than a coin flip.
    averaged = _linear_accuracy(x_train.mean(axis=1), y_train, x_test.mean(axis=1), y_test)
    assert averaged < 0.6

    # One hand-made feature that sees the order solves the task.
    def order(x):
        return (x[:, :, 1].argmax(axis=1) - x[:, :, 0].argmax(axis=1))[:, None]
    assert _linear_accuracy(order(x_train), y_train, order(x_test), y_test) == 1.0


@pytest.mark.parametrize("make, kwargs, message", [
    (two_spirals, {"n_samples": -3},
     "two_spirals: n_samples must be a positive integer, got -3"),
    (moons, {"n_samples": 0}, "moons: n_samples must be a positive integer, got 0"),
    (moons, {"n_samples": 10.0}, "moons: n_samples must be a positive integer, got 10.0"),
    (two_spirals, {"n_samples": True}, "two_spirals: n_samples must be a positive integer, got True"),
    (moons, {"noise": -0.1}, "moons: noise must be a finite number >= 0, got -0.1"),
    (two_spirals, {"noise": float("nan")}, "two_spirals: noise must be a finite number >= 0, got nan"),
    (noisy_regression, {"n_features": 0},
     "noisy_regression: n_features must be an integer >= 1, got 0"),
    (noisy_regression, {"seed": -1}, "noisy_regression: seed must be a non-negative integer, got -1"),
    (sequence_task, {"timesteps": 1}, "sequence_task: timesteps must be an integer >= 2, got 1"),
    (sequence_task, {"features": 1}, "sequence_task: features must be an integer >= 2, got 1"),
    (sequence_task, {"seed": "0"}, "sequence_task: seed must be a non-negative integer, got '0'"),
])
def test_bad_arguments_raise_clear_errors(make, kwargs, message):
    with pytest.raises(ValueError) as error:
        make(**kwargs)
    assert str(error.value) == message


def test_numpy_integers_are_accepted():
    x, y = two_spirals(n_samples=np.int64(10), seed=np.int32(2))
    assert x.shape == (10, 2)


def test_package_exports():
    for name in ["digits", "synthetic", "two_spirals", "moons",
                 "noisy_regression", "noise_free_target", "sequence_task"]:
        assert hasattr(datasets, name) and name in datasets.__all__


def test_docstring_examples_run():
    for module in (synthetic, datasets):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
