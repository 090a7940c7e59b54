"""Tests for mlkit/metrics/probabilistic_metrics.py: cross-entropy metrics."""

import doctest

import numpy as np
import pytest

from mlkit.metrics import probabilistic_metrics
from mlkit.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)

Y_PRED = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]


def test_keras_documented_results():
    assert float(CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], Y_PRED)) == pytest.approx(1.1769392, rel=1e-6)
    weighted = CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], Y_PRED, sample_weight=np.array([0.3, 0.7]))
    assert float(weighted) == pytest.approx(1.6271976, rel=1e-6)  # weighted mean divides by sum(weights)
    assert float(SparseCategoricalCrossentropy()([1, 2], Y_PRED)) == pytest.approx(1.1769392, rel=1e-6)
    bce = BinaryCrossentropy()
    assert float(bce([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(0.81492424, rel=1e-6)
    bce.reset_state()
    weighted = bce([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    assert float(weighted) == pytest.approx(0.9162905, rel=1e-5)


def test_from_logits_and_streaming(rng):
    logits = rng.normal(size=(30, 4))
    labels = rng.integers(0, 4, size=30)
    shifted = logits - logits.max(axis=1, keepdims=True)
    per_sample = -(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))[np.arange(30), labels]
    metric = SparseCategoricalCrossentropy(from_logits=True)
    for start in range(0, 30, 11):
        metric.update_state(labels[start : start + 11], logits[start : start + 11])
    assert float(metric.result()) == pytest.approx(per_sample.mean(), rel=1e-5)


@pytest.mark.parametrize(
    "metric, expected",
    [
        (
            BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
            {"name": "binary_crossentropy", "dtype": "float32", "from_logits": True, "label_smoothing": 0.1},
        ),
        (
            CategoricalCrossentropy(name="cce", axis=1),
            {"name": "cce", "dtype": "float32", "from_logits": False, "label_smoothing": 0, "axis": 1},
        ),
        (
            SparseCategoricalCrossentropy(from_logits=True),
            {"name": "sparse_categorical_crossentropy", "dtype": "float32", "from_logits": True, "axis": -1},
        ),
    ],
)
def test_config_round_trip(metric, expected):
    assert metric.get_config() == expected
    assert type(metric).from_config(expected).get_config() == expected


def test_doctests():
    result = doctest.testmod(probabilistic_metrics)
    assert result.attempted > 0 and result.failed == 0
