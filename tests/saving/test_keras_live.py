"""Live round trips with real Keras 3, both ways (dev only: skipped without Keras).

    pip install torch==2.13.0 keras
    KERAS_BACKEND=torch pytest tests/saving/test_keras_live.py

4 models x (.keras, .weights.h5) x (mlkit -> Keras, Keras -> mlkit) = 16 round trips,
each compared on predictions.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import mlkit  # noqa: E402

LIBRARIES = {"mlkit": mlkit, "keras": keras}


def predict(model, inputs):
    return np.asarray(model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))


def load_model(library, path):
    return library.saving.load_model(path)


@pytest.mark.parametrize("name", ["cnn", "two_inputs", "lstm", "embedding_gru"])
@pytest.mark.parametrize("file_format", [".keras", ".weights.h5"])
@pytest.mark.parametrize("writer, reader", [("mlkit", "keras"), ("keras", "mlkit")])
def test_round_trip(tmp_path, zoo, name, file_format, writer, reader):
    mlkit.utils.set_random_seed(0)
    keras.utils.set_random_seed(0)
    saved = zoo.build(LIBRARIES[writer], name)
    inputs = zoo.compile_and_train(saved, name)
    path = str(tmp_path / f"{name}{file_format}")
    if file_format == ".keras":
        saved.save(path)
        loaded = load_model(LIBRARIES[reader], path)
        assert loaded.optimizer is not None
        assert int(loaded.optimizer.iterations.numpy()) == int(saved.optimizer.iterations.numpy()) == 2
    else:
        saved.save_weights(path)
        loaded = zoo.build(LIBRARIES[reader], name)
        loaded.load_weights(path)
    np.testing.assert_allclose(predict(loaded, inputs), predict(saved, inputs), rtol=1e-5, atol=1e-6)
