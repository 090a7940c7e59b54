"""Tests for mlkit/metrics/accuracy_metrics.py."""

import doctest

import numpy as np
import pytest

from mlkit.metrics import accuracy_metrics
from mlkit.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    in_top_k,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)

PROBS = np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])


def test_keras_documented_results():
    assert float(Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]])) == 0.75
    assert float(Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])) == 0.5
    assert float(BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])) == 0.75
    assert float(BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])) == 0.5
    assert float(CategoricalAccuracy()([[0, 0, 1], [0, 1, 0]], PROBS)) == 0.5
    assert float(CategoricalAccuracy()([[0, 0, 1], [0, 1, 0]], PROBS, sample_weight=[0.7, 0.3])) == pytest.approx(0.3)
    assert float(SparseCategoricalAccuracy()([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])) == 0.5
    assert float(TopKCategoricalAccuracy(k=1)([[0, 0, 1], [0, 1, 0]], PROBS)) == 0.5
    assert float(SparseTopKCategoricalAccuracy(k=1)([2, 1], PROBS, sample_weight=[0.7, 0.3])) == pytest.approx(0.3)


def test_functions_give_one_value_per_sample():
    np.testing.assert_array_equal(binary_accuracy([[1, 0], [1, 1]], [[0.7, 0.2], [0.4, 0.9]]).numpy(), [1.0, 0.5])
    np.testing.assert_array_equal(binary_accuracy([1, 0], [[0.7], [0.6]], threshold=0.65).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(categorical_accuracy([[0, 0, 1], [0, 1, 0]], PROBS).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(sparse_categorical_accuracy([2, 1], PROBS).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(sparse_categorical_accuracy([[2.0], [1.0]], PROBS).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(top_k_categorical_accuracy([[0, 0, 1], [0, 0, 1]], PROBS, k=2).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(sparse_top_k_categorical_accuracy([0, 0], PROBS, k=3).numpy(), [1.0, 1.0])
    assert sparse_categorical_accuracy([2, 1], PROBS).dtype == "float32"


def test_in_top_k_counts_ties_as_inside():
    predictions = np.array([[0.5, 0.5, 0.1], [0.2, 0.3, np.nan]])
    np.testing.assert_array_equal(in_top_k(np.array([1, 2]), predictions, k=1), [True, False])


def test_logits_work_for_argmax_accuracies(rng):
    logits = rng.normal(size=(10, 4))
    labels = rng.integers(0, 4, size=10)
    expected = np.mean(np.argmax(logits, axis=1) == labels)
    assert float(SparseCategoricalAccuracy()(labels, logits)) == pytest.approx(expected)
    assert float(CategoricalAccuracy()(np.eye(4)[labels], logits)) == pytest.approx(expected)


def test_streaming_equals_one_batch(rng):
    probs = rng.uniform(size=(40, 5))
    labels = rng.integers(0, 5, size=40)
    weights = rng.uniform(0, 1, size=40)
    streamed = SparseCategoricalAccuracy()
    for start in range(0, 40, 12):
        streamed.update_state(labels[start : start + 12], probs[start : start + 12], weights[start : start + 12])
    hits = np.argmax(probs, axis=1) == labels
    assert float(streamed.result()) == pytest.approx((hits * weights).sum() / weights.sum(), rel=1e-6)


def test_wrong_label_formats_are_explained():
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        categorical_accuracy([2, 1], PROBS)
    with pytest.raises(ValueError, match="categorical version"):
        sparse_categorical_accuracy([[0, 0, 1], [0, 1, 0]], PROBS)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        BinaryAccuracy(threshold=1.0)


@pytest.mark.parametrize(
    "metric, expected",
    [
        (Accuracy(), {"name": "accuracy", "dtype": "float32"}),
        (BinaryAccuracy(threshold=0.7, name="bin"), {"name": "bin", "dtype": "float32", "threshold": 0.7}),
        (CategoricalAccuracy(dtype="float64"), {"name": "categorical_accuracy", "dtype": "float64"}),
        (SparseCategoricalAccuracy(), {"name": "sparse_categorical_accuracy", "dtype": "float32"}),
        (TopKCategoricalAccuracy(k=3), {"name": "top_k_categorical_accuracy", "dtype": "float32", "k": 3}),
        (
            SparseTopKCategoricalAccuracy(k=2),
            {"name": "sparse_top_k_categorical_accuracy", "dtype": "float32", "k": 2},
        ),
    ],
)
def test_config_round_trip(metric, expected):
    assert metric.get_config() == expected
    assert type(metric).from_config(expected).get_config() == expected


def test_doctests():
    result = doctest.testmod(accuracy_metrics)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("metric_class", [TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy])
@pytest.mark.parametrize("k, error_type, part", [
    (0, ValueError, "`k` must be an integer >= 1, got k=0"),
    ("3", TypeError, "`k` must be an integer, got k='3'"),
])
def test_top_k_needs_a_positive_whole_k(metric_class, k, error_type, part):
    with pytest.raises(error_type) as caught:
        metric_class(k=k)
    assert str(caught.value).startswith(f"{metric_class.__name__}: ") and part in str(caught.value)
