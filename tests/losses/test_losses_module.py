"""Tests for mlkit/losses/__init__.py: get, serialize/deserialize, resolve_loss."""

import doctest

import numpy as np
import pytest

import mlkit.losses as losses
from mlkit import saving


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mean_squared_error", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("huber", losses.huber),
        ("bce", losses.binary_crossentropy),
        ("binary_crossentropy", losses.binary_crossentropy),
        ("categorical_crossentropy", losses.categorical_crossentropy),
        ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ],
)
def test_get_function_names(name, expected):
    assert losses.get(name) is expected


@pytest.mark.parametrize(
    "name, cls",
    [
        ("MeanSquaredError", losses.MeanSquaredError),
        ("MeanAbsoluteError", losses.MeanAbsoluteError),
        ("Huber", losses.Huber),
        ("BinaryCrossentropy", losses.BinaryCrossentropy),
        ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
        ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
    ],
)
def test_get_class_names_gives_instances(name, cls):
    assert type(losses.get(name)) is cls
    assert type(losses.get(cls)) is cls


def test_get_passes_objects_and_functions_through():
    loss = losses.Huber(delta=3.0)
    assert losses.get(loss) is loss
    assert losses.get(None) is None

    def my_loss(y_true, y_pred):
        return y_pred

    assert losses.get(my_loss) is my_loss


def test_get_config_dict():
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits


def test_get_unknown_identifiers_are_explained():
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'msee'.*mse"):
        losses.get("msee")
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(42)


@pytest.mark.parametrize(
    "loss",
    [
        losses.MeanSquaredError(reduction="sum"),
        losses.MeanAbsoluteError(name="l1"),
        losses.Huber(delta=0.25),
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
        losses.CategoricalCrossentropy(axis=1),
        losses.SparseCategoricalCrossentropy(ignore_class=0),
    ],
)
def test_serialize_deserialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["class_name"] == type(loss).__name__ and config["module"] == "keras.losses"
    clone = losses.deserialize(config)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_serialize_a_function_gives_its_name():
    assert losses.serialize(losses.sparse_categorical_crossentropy) == "sparse_categorical_crossentropy"
    assert losses.deserialize("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert losses.deserialize("mse") is losses.mean_squared_error
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.deserialize("no_such_loss")


def test_custom_registered_loss_round_trip():
    @saving.register_keras_serializable(package="LossTests")
    class ScaledAbsolute(losses.Loss):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * abs(y_pred - y_true)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    config = losses.serialize(ScaledAbsolute(scale=2.0, name="scaled"))
    clone = losses.deserialize(config)
    assert isinstance(clone, ScaledAbsolute) and clone.scale == 2.0 and clone.name == "scaled"
    assert float(clone(np.array([1.0]), np.array([4.0]))) == pytest.approx(6.0)


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8, 1), (8, 1), "binary_crossentropy"),
        ((8,), (8, 1), "binary_crossentropy"),
        ((8,), (8, 10), "sparse_categorical_crossentropy"),
        ((8, 1), (8, 10), "sparse_categorical_crossentropy"),
        ((8, 10), (8, 10), "categorical_crossentropy"),
    ],
)
@pytest.mark.parametrize("identifier", ["crossentropy", "ce", "CrossEntropy"])
def test_resolve_loss_picks_the_crossentropy_from_shapes(identifier, y_true_shape, y_pred_shape, expected):
    loss = losses.resolve_loss(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert isinstance(loss, losses.LossFunctionWrapper)
    assert loss.fn is getattr(losses, expected) and loss.name == identifier


def test_resolve_loss_wraps_functions_and_keeps_loss_objects():
    y = np.zeros((4, 1))
    wrapped = losses.resolve_loss("mse", y, y)
    assert wrapped.fn is losses.mean_squared_error and wrapped.name == "mse"
    assert float(wrapped(np.array([[1.0], [3.0]]), np.zeros((2, 1)))) == pytest.approx(5.0)

    def my_error(y_true, y_pred):
        return y_pred - y_true

    assert losses.resolve_loss(my_error, y, y).name == "my_error"
    loss = losses.Huber()
    assert losses.resolve_loss(loss, y, y) is loss
    assert isinstance(losses.resolve_loss("Huber", y, y), losses.Huber)
    assert losses.resolve_loss(None, y, y) is None


def test_doctests():
    result = doctest.testmod(losses)
    assert result.attempted > 0 and result.failed == 0
