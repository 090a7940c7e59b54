"""Shared by the saving tests: the four models of the Keras round trips, and where Keras's files lie.

`zoo.build(library, name)` makes a model with `library` = `mlkit` or
`keras`: the code is the same for both, which is the point of the course.
"""

import pathlib
import types

import numpy as np
import pytest

import mlkit

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras"

MODEL_NAMES = ("cnn", "two_inputs", "lstm", "embedding_gru")


def build(library, name):
    layers = library.layers
    if name == "cnn":
        return library.Sequential([
            library.Input(shape=(8, 8, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ], name="cnn")
    if name == "two_inputs":
        a = library.Input(shape=(3,), name="a")
        b = library.Input(shape=(2,), name="b")
        left = layers.Dense(4, activation="tanh", name="left")(a)
        right = layers.Dense(4, name="right")(b)
        merged = layers.Concatenate(name="merged")([left, layers.Add(name="sum")([left, right])])
        return library.Model([a, b], layers.Dense(1, name="score")(merged), name="two_inputs")
    if name == "lstm":
        return library.Sequential([library.Input(shape=(5, 3)), layers.LSTM(4), layers.Dense(2)], name="lstm_model")
    if name == "embedding_gru":
        return library.Sequential([
            library.Input(shape=(6,), dtype="int32"),
            layers.Embedding(10, 4),
            layers.GRU(3),
            layers.Dense(1, activation="sigmoid"),
        ], name="embedding_gru")
    raise ValueError(f"unknown model {name!r}")


def sample(name, seed=0):
    """(inputs as a list, targets) for `name`: a small batch of made-up data."""
    rng = np.random.default_rng(seed)
    if name == "cnn":
        return [rng.random((16, 8, 8, 1)).astype("float32")], rng.integers(0, 3, 16)
    if name == "two_inputs":
        inputs = [rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")]
        return inputs, rng.normal(size=(16, 1)).astype("float32")
    if name == "lstm":
        return [rng.normal(size=(16, 5, 3)).astype("float32")], rng.normal(size=(16, 2)).astype("float32")
    return [rng.integers(0, 10, (16, 6)).astype("int32")], rng.integers(0, 2, (16, 1)).astype("float32")


def compile_and_train(model, name):
    """Compile as the Keras fixtures were and train one epoch, so weights and optimizer state are not initial."""
    library = mlkit if type(model).__module__.startswith("mlkit") else __import__("keras")
    settings = {
        "cnn": ("adam", "sparse_categorical_crossentropy"),
        "two_inputs": (library.optimizers.SGD(0.05, momentum=0.9), "mse"),
        "lstm": ("rmsprop", "mse"),
        "embedding_gru": ("adam", "binary_crossentropy"),
    }
    optimizer, loss = settings[name]
    model.compile(optimizer=optimizer, loss=loss)
    inputs, targets = sample(name)
    model.fit(inputs if len(inputs) > 1 else inputs[0], targets, epochs=1, batch_size=8, verbose=0)
    return inputs


@pytest.fixture
def zoo():
    """The model builders above, for tests (which cannot import each other)."""
    return types.SimpleNamespace(names=MODEL_NAMES, build=build, sample=sample, compile_and_train=compile_and_train)


@pytest.fixture
def keras_fixtures():
    """The folder of files written by real Keras (see fixtures/make_keras_fixtures.py)."""
    return FIXTURES
