"""Helpers for the callback tests: tiny models and a harness that drives a
callback's hooks with scripted logs, as fit would, without training."""

import numpy as np
import pytest

import mlkit
from mlkit import layers


def tiny_model(learning_rate=0.1, metrics=None):
    """A compiled one-layer regression model (4 weights), built and ready to fit."""
    model = mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=mlkit.optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=metrics)
    return model


def regression_data(count=8):
    generator = np.random.default_rng(0)
    x = generator.normal(size=(count, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5], "float32"))[:, None]


def epoch_marker(model):
    """Which epoch's weights the model holds (the harness sets them to the epoch number)."""
    values = {float(v) for weight in model.get_weights() for v in np.ravel(weight)}
    assert len(values) == 1, "weights were not set by the harness"
    return int(values.pop())


def run_scripted(callback, per_epoch_logs, model=None):
    """Drive `callback` through a fit-like sequence of hooks with scripted epoch logs.

    Before each epoch ends, every weight is set to the epoch number, so that
    restored weights tell which epoch they came from. Stops, as fit does,
    when `model.stop_training` is set. Returns (epochs run, model).
    """
    model = model or tiny_model()
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(per_epoch_logs), "steps": 1})
    model.stop_training = False
    callback.on_train_begin({})
    epochs_run, logs = [], {}
    for epoch, values in enumerate(per_epoch_logs):
        callback.on_epoch_begin(epoch, {})
        model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
        logs = dict(values)
        callback.on_epoch_end(epoch, logs)
        epochs_run.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end(logs)
    return epochs_run, model


@pytest.fixture(name="tiny_model")
def tiny_model_fixture():
    """tiny_model(learning_rate=0.1, metrics=None): a fresh compiled model."""
    return tiny_model


@pytest.fixture(name="regression_data")
def regression_data_fixture():
    return regression_data()


@pytest.fixture(name="run_scripted")
def run_scripted_fixture():
    return run_scripted


@pytest.fixture(name="epoch_marker")
def epoch_marker_fixture():
    return epoch_marker
