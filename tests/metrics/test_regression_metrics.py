"""Tests for mlkit/metrics/regression_metrics.py: MSE, MAE and RMSE metrics."""

import doctest

import numpy as np
import pytest

from mlkit.metrics import regression_metrics
from mlkit.metrics.regression_metrics import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError


def test_values_and_sample_weights(rng):
    y_true = rng.normal(size=(20, 3))
    y_pred = rng.normal(size=(20, 3))
    weights = rng.uniform(0, 1, size=20)
    squared = ((y_true - y_pred) ** 2).mean(axis=1)
    absolute = np.abs(y_true - y_pred).mean(axis=1)
    assert float(MeanSquaredError()(y_true, y_pred)) == pytest.approx(squared.mean(), rel=1e-5)
    assert float(MeanSquaredError()(y_true, y_pred, sample_weight=weights)) == pytest.approx(
        (squared * weights).sum() / weights.sum(), rel=1e-5
    )
    assert float(MeanAbsoluteError()(y_true, y_pred)) == pytest.approx(absolute.mean(), rel=1e-5)
    assert float(RootMeanSquaredError()(y_true, y_pred, sample_weight=weights)) == pytest.approx(
        np.sqrt((squared * weights).sum() / weights.sum()), rel=1e-5
    )


def test_rmse_streams_as_the_root_of_the_overall_mean(rng):
    y_true, y_pred = rng.normal(size=30), rng.normal(size=30)
    metric = RootMeanSquaredError()
    for start in range(0, 30, 8):
        metric.update_state(y_true[start : start + 8], y_pred[start : start + 8])
    assert float(metric.result()) == pytest.approx(np.sqrt(np.mean((y_true - y_pred) ** 2)), rel=1e-5)


def test_streaming_equals_one_batch(rng):
    y_true, y_pred = rng.normal(size=(25, 2)), rng.normal(size=(25, 2))
    whole, streamed = MeanAbsoluteError(), MeanAbsoluteError()
    whole.update_state(y_true, y_pred)
    for start in range(0, 25, 10):
        streamed.update_state(y_true[start : start + 10], y_pred[start : start + 10])
    assert float(streamed.result()) == pytest.approx(float(whole.result()), rel=1e-6)


@pytest.mark.parametrize("cls", [MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError])
def test_config_round_trip(cls):
    metric = cls(name="custom", dtype="float64")
    assert metric.get_config() == {"name": "custom", "dtype": "float64"}
    assert cls.from_config(metric.get_config()).get_config() == metric.get_config()


def test_doctests():
    result = doctest.testmod(regression_metrics)
    assert result.attempted > 0 and result.failed == 0
