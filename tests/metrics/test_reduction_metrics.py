"""Tests for mlkit/metrics/reduction_metrics.py: Sum, Mean and MeanMetricWrapper."""

import doctest

import numpy as np
import pytest

from mlkit import losses, ops
from mlkit.backend.masking import set_keras_mask
from mlkit.metrics import reduction_metrics
from mlkit.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum


def test_sum_keras_examples():
    assert float(Sum()([1, 3, 5, 7])) == 16.0
    assert float(Sum()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])) == 4.0


def test_mean_keras_examples():
    metric = Mean()
    assert float(metric([1, 3, 5, 7])) == 4.0
    metric.reset_state()
    assert float(metric([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])) == 2.0


def test_mean_of_nothing_is_zero():
    assert float(Mean().result()) == 0.0


def test_mean_averages_each_sample_first():
    # Two samples with 2 and 2 entries: sample means 1.5 and 5; weights 1 and 3.
    values = np.array([[1.0, 2.0], [4.0, 6.0]])
    assert float(Mean()(values)) == pytest.approx(3.25)
    assert float(Mean()(values, sample_weight=[1.0, 3.0])) == pytest.approx((1.5 + 3 * 5) / 4)
    per_entry = np.array([[1.0, 0.0], [1.0, 1.0]])
    assert float(Mean()(values, sample_weight=per_entry)) == pytest.approx((1 + 4 + 6) / 3)


def test_mean_of_scalars_counts_each_call_once():
    metric = Mean()
    metric.update_state(2.0)
    metric.update_state(ops.convert_to_tensor(4.0))
    metric.update_state(9.0, sample_weight=2)
    assert float(metric.result()) == pytest.approx((2 + 4 + 18) / 4)


def test_streaming_equals_one_batch(rng):
    values = rng.normal(size=(50, 3))
    weights = rng.uniform(0, 2, size=50)
    whole, streamed = Mean(), Mean()
    whole.update_state(values, sample_weight=weights)
    for start in range(0, 50, 16):  # uneven batches: 16, 16, 16, 2
        streamed.update_state(values[start : start + 16], sample_weight=weights[start : start + 16])
    expected = (values.mean(axis=1) * weights).sum() / weights.sum()
    assert float(streamed.result()) == pytest.approx(expected, rel=1e-5)
    assert float(whole.result()) == pytest.approx(expected, rel=1e-5)
    total = Sum()
    for start in range(0, 50, 16):
        total.update_state(values[start : start + 16])
    assert float(total.result()) == pytest.approx(values.sum(), rel=1e-5)


def test_mismatched_weights_are_explained():
    with pytest.raises(ValueError, match="sample_weight of shape"):
        Mean()(np.ones(4), sample_weight=np.ones(3))


def test_wrapper_averages_a_function_with_kwargs():
    def scaled_error(y_true, y_pred, scale=1.0):
        return scale * np.abs(np.asarray(y_true) - np.asarray(y_pred))

    metric = MeanMetricWrapper(scaled_error, name="scaled", scale=10.0)
    metric.update_state([0.0, 0.0], [1.0, 2.0])
    metric.update_state([0.0], [6.0], sample_weight=[2.0])
    assert float(metric.result()) == pytest.approx((10 + 20 + 2 * 60) / 4)


def test_wrapper_default_name():
    assert MeanMetricWrapper(losses.mean_squared_error).name.startswith("mean_metric_wrapper")


def test_wrapper_respects_masks_on_the_values():
    def masked(y_true, y_pred):
        values = ops.convert_to_tensor(np.asarray(y_pred, dtype="float32"))
        return set_keras_mask(values, np.array([True, False, True]))

    assert float(MeanMetricWrapper(masked)([0, 0, 0], [1.0, 100.0, 3.0])) == pytest.approx(2.0)


def test_wrapper_config_round_trip_with_a_builtin_function():
    metric = MeanMetricWrapper(losses.huber, name="huber_metric", delta=0.5)
    config = metric.get_config()
    assert config == {"name": "huber_metric", "dtype": "float32", "fn": "huber", "delta": 0.5}
    clone = MeanMetricWrapper.from_config(config)
    assert clone._fn is losses.huber and clone._fn_kwargs == {"delta": 0.5}
    y_true, y_pred = np.zeros((2, 1)), np.array([[0.2], [2.0]])
    assert float(clone(y_true, y_pred)) == pytest.approx(float(metric(y_true, y_pred)))


def test_sum_and_mean_config_round_trip():
    for metric in (Sum(name="s", dtype="float64"), Mean(name="m")):
        clone = type(metric).from_config(metric.get_config())
        assert clone.get_config() == metric.get_config()


def test_doctests():
    result = doctest.testmod(reduction_metrics)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("metric_class", [Mean, Sum])
def test_values_that_are_not_numbers_are_named_with_the_metric(metric_class):
    metric = metric_class(name="tracker")
    with pytest.raises(TypeError) as caught:
        metric.update_state(["a", "b"])
    message = str(caught.value)
    assert message.startswith(f"{metric_class.__name__} 'tracker': update_state() takes numbers")
    assert "got ['a', 'b']" in message
