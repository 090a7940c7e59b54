"""Tests for mlkit/metrics/__init__.py: get, serialize/deserialize, resolve_metric."""

import doctest

import numpy as np
import pytest

import mlkit.losses as losses
import mlkit.metrics as metrics


@pytest.mark.parametrize(
    "name, cls",
    [
        ("accuracy", metrics.Accuracy),
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("mse", metrics.MeanSquaredError),
        ("MAE", metrics.MeanAbsoluteError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("root_mean_squared_error", metrics.RootMeanSquaredError),
        ("precision", metrics.Precision),
        ("Recall", metrics.Recall),
        ("binary_crossentropy", metrics.BinaryCrossentropy),
        ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy),
        ("Mean", metrics.Mean),
    ],
)
def test_get_names_give_instances(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_objects_functions_dicts_and_errors():
    metric = metrics.Precision(thresholds=0.3)
    assert metrics.get(metric) is metric
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert metrics.get(None) is None
    made = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.8}})
    assert isinstance(made, metrics.BinaryAccuracy) and made.threshold == 0.8
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'acc'"):
        metrics.get("acc")  # only compile() understands 'acc'
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get(3.5)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="m"),
        metrics.BinaryAccuracy(threshold=0.25),
        metrics.Precision(thresholds=[0.2, 0.4], class_id=1),
        metrics.SparseTopKCategoricalAccuracy(k=2),
        metrics.CategoricalCrossentropy(from_logits=True),
        metrics.MeanMetricWrapper(metrics.sparse_categorical_accuracy, name="wrapped"),
    ],
)
def test_serialize_deserialize_round_trip(metric):
    config = metrics.serialize(metric)
    assert config["class_name"] == type(metric).__name__ and config["module"] == "keras.metrics"
    clone = metrics.deserialize(config)
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()


def test_deserialize_names():
    assert metrics.deserialize("binary_accuracy") is metrics.BinaryAccuracy
    assert metrics.deserialize("sparse_categorical_accuracy") is metrics.SparseCategoricalAccuracy
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.deserialize("no_such_metric")


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, cls",
    [
        ((8, 1), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 10), metrics.SparseCategoricalAccuracy),
        ((8, 1), (8, 10), metrics.SparseCategoricalAccuracy),
        ((8, 5, 1), (8, 5, 10), metrics.SparseCategoricalAccuracy),
        ((8, 10), (8, 10), metrics.CategoricalAccuracy),
    ],
)
@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy", "ACC"])
def test_resolve_metric_picks_the_accuracy_from_shapes(identifier, y_true_shape, y_pred_shape, cls):
    metric = metrics.resolve_metric(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert type(metric) is cls and metric.name == identifier


def test_resolved_accuracy_computes_the_right_thing():
    y_pred = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    labels = np.array([1, 1, 2])
    metric = metrics.resolve_metric("accuracy", labels, y_pred)
    assert float(metric(labels, y_pred)) == pytest.approx(2 / 3)
    binary = metrics.resolve_metric("acc", np.array([1, 0]), np.array([[0.8], [0.7]]))
    assert float(binary(np.array([1, 0]), np.array([[0.8], [0.7]]))) == 0.5


def test_resolve_metric_names_and_wrapping():
    y = np.zeros((4, 1))
    mse = metrics.resolve_metric("mse", y, y)
    assert isinstance(mse, metrics.MeanSquaredError) and mse.name == "mse"

    def my_error(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred))[:, 0]

    wrapped = metrics.resolve_metric(my_error, y, y)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "my_error"
    assert float(wrapped(np.array([[1.0], [3.0]]), np.zeros((2, 1)))) == 2.0
    from_loss = metrics.resolve_metric(losses.mean_absolute_error, y, y)
    assert from_loss.name == "mean_absolute_error"
    mine = metrics.Precision(name="prec")
    assert metrics.resolve_metric(mine, y, y) is mine and mine.name == "prec"
    assert metrics.resolve_metric(None, y, y) is None


def test_loss_functions_are_reexported_like_keras():
    assert metrics.mean_squared_error is losses.mean_squared_error
    assert metrics.sparse_categorical_crossentropy is losses.sparse_categorical_crossentropy


def test_doctests():
    result = doctest.testmod(metrics)
    assert result.attempted > 0 and result.failed == 0


def test_directions_for_callbacks_in_auto_mode():
    for up in (metrics.Accuracy(), metrics.SparseCategoricalAccuracy(), metrics.Precision(), metrics.Recall()):
        assert up._direction == "up"
    down = [
        metrics.MeanSquaredError(),
        metrics.SparseCategoricalCrossentropy(),
        metrics.RootMeanSquaredError(),
        metrics.MeanMetricWrapper(losses.huber),
    ]
    for metric in down:
        assert metric._direction == "down"
    assert not hasattr(metrics.MeanMetricWrapper(lambda y_true, y_pred: y_pred), "_direction")
