"""Tests for mlkit/metrics/confusion_metrics.py: counts, Precision, Recall."""

import doctest

import numpy as np
import pytest

from mlkit.metrics import confusion_metrics
from mlkit.metrics.confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)


def test_keras_documented_counts():
    assert float(FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1])) == 2.0
    assert float(FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])) == 1.0
    assert float(FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0])) == 2.0
    assert float(TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0])) == 2.0
    assert float(TruePositives()([0, 1, 1, 1], [1, 0, 1, 1])) == 2.0


def test_keras_documented_precision_and_recall():
    assert float(Precision()([0, 1, 1, 1], [1, 0, 1, 1])) == pytest.approx(2 / 3)
    assert float(Precision()([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])) == 1.0
    assert float(Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.0
    assert float(Precision(top_k=4)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.5
    assert float(Recall()([0, 1, 1, 1], [1, 0, 1, 1])) == pytest.approx(2 / 3)
    assert float(Recall()([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])) == 1.0


def test_strictly_greater_than_threshold_is_positive():
    # 0.5 is not above 0.5: predicted negative.
    assert float(TruePositives()([1, 1], [0.5, 0.51])) == 1.0


def test_several_thresholds_against_numpy(rng):
    y_true = rng.integers(0, 2, size=30)
    y_pred = rng.uniform(size=30)
    weights = rng.uniform(0, 2, size=30)
    thresholds = [0.0, 0.3, 0.5, 0.9]
    precision = Precision(thresholds=thresholds)
    recall = Recall(thresholds=thresholds)
    precision.update_state(y_true, y_pred, sample_weight=weights)
    recall.update_state(y_true, y_pred, sample_weight=weights)
    for i, t in enumerate(thresholds):
        called = y_pred > t
        tp = (weights * (called & (y_true == 1))).sum()
        fp = (weights * (called & (y_true == 0))).sum()
        fn = (weights * (~called & (y_true == 1))).sum()
        assert float(precision.result().numpy()[i]) == pytest.approx(tp / (tp + fp), rel=1e-5)
        assert float(recall.result().numpy()[i]) == pytest.approx(tp / (tp + fn), rel=1e-5)
    assert precision.result().shape == (4,)


def test_class_id_restricts_to_one_column():
    y_true = np.array([[0, 1, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    y_pred = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1], [0.1, 0.2, 0.7]])
    # Column 1: labels [1, 1, 0, 0], predicted positive [yes, no, yes, no].
    assert float(Precision(class_id=1)(y_true, y_pred)) == 0.5
    assert float(Recall(class_id=1)(y_true, y_pred)) == 0.5
    weights = np.array([1.0, 1.0, 3.0, 1.0])
    assert float(Precision(class_id=1)(y_true, y_pred, sample_weight=weights)) == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="class_id"):
        Precision(class_id=0)([1, 0], [0.7, 0.2])


def test_top_k_with_multilabel_rows():
    y_true = np.array([[0, 1, 1, 0], [1, 0, 0, 0]])
    y_pred = np.array([[0.1, 0.8, 0.3, 0.5], [0.6, 0.7, 0.2, 0.1]])
    # Top 2 per row: {1, 3} and {1, 0}; true among them: 1 of 2, then 1 of 2.
    assert float(Precision(top_k=2)(y_true, y_pred)) == 0.5
    assert float(Recall(top_k=2)(y_true, y_pred)) == pytest.approx(2 / 3)


def test_streaming_equals_one_batch(rng):
    y_true = rng.integers(0, 2, size=50)
    y_pred = rng.uniform(size=50)
    whole, streamed = Recall(), Recall()
    whole.update_state(y_true, y_pred)
    for start in range(0, 50, 7):
        streamed.update_state(y_true[start : start + 7], y_pred[start : start + 7])
    assert float(streamed.result()) == pytest.approx(float(whole.result()))
    np.testing.assert_allclose(streamed.true_positives.numpy(), whole.true_positives.numpy())
    assert float(streamed.false_negatives.numpy()[0]) == ((y_pred <= 0.5) & (y_true == 1)).sum()


def test_empty_denominator_gives_zero():
    assert float(Precision()([1, 1], [0.1, 0.2])) == 0.0
    assert float(Recall()([0, 0], [0.9, 0.2])) == 0.0


def test_state_variables_and_reset():
    precision = Precision(thresholds=[0.2, 0.8])
    assert [v.name for v in precision.variables] == ["true_positives", "false_positives"]
    assert [v.name for v in Recall().variables] == ["true_positives", "false_negatives"]
    precision([1, 0], [0.9, 0.9])
    precision.reset_state()
    np.testing.assert_array_equal(precision.true_positives.numpy(), [0.0, 0.0])


def test_invalid_thresholds_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Precision(thresholds=1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        TruePositives(thresholds=[0.5, -0.1])


@pytest.mark.parametrize(
    "metric, expected",
    [
        (Precision(), {"name": None, "dtype": "float32", "thresholds": None, "top_k": None, "class_id": None}),
        (
            Recall(thresholds=[0.3, 0.6], class_id=2, name="r"),
            {"name": "r", "dtype": "float32", "thresholds": [0.3, 0.6], "top_k": None, "class_id": 2},
        ),
        (
            Precision(top_k=3, name="p3"),
            {"name": "p3", "dtype": "float32", "thresholds": None, "top_k": 3, "class_id": None},
        ),
        (TruePositives(thresholds=0.7, name="tp"), {"name": "tp", "dtype": "float32", "thresholds": 0.7}),
    ],
)
def test_config_round_trip(metric, expected):
    config = metric.get_config()
    if expected["name"] is None:
        assert config["name"].startswith("precision")
        expected = {**expected, "name": config["name"]}
    assert config == expected
    assert type(metric).from_config(config).get_config() == config


def test_doctests():
    result = doctest.testmod(confusion_metrics)
    assert result.attempted > 0 and result.failed == 0
