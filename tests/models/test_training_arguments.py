"""compile/fit/evaluate refuse careless arguments at the call that made them."""

import numpy as np
import pytest

import mlkit
from mlkit import layers

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = (X @ np.array([1.0, -2.0, 0.5], "float32"))[:, None]


def regression_model(**compile_arguments):
    mlkit.utils.set_random_seed(0)
    model = mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(1)])
    model.compile(**{"optimizer": "sgd", "loss": "mse", **compile_arguments})
    return model


def fit(**arguments):
    return lambda: regression_model().fit(X, Y, verbose=0, **arguments)


CASES = {
    "a loss name with a typo": (lambda: regression_model(loss="msee"), ValueError,
                                ["compile(): unknown loss 'msee'", "mean_squared_error"]),
    "one metric not in a list": (lambda: regression_model(metrics="mae"), ValueError,
                                 ["expected `metrics` to be a list, tuple or dict", "metrics=['mae']"]),
    "a metric name with a typo": (lambda: regression_model(metrics=["accuracyy"]), ValueError, ["'accuracyy'"]),
    "more loss weights than outputs": (lambda: regression_model(loss_weights=[1.0, 2.0]), ValueError,
                                       ["one weight per output", "1 output(s)", "got 2 weights"]),
    "a loss weight that is not a number": (lambda: regression_model(loss_weights=["2"]), ValueError,
                                           ["every entry of `loss_weights` must be a number, got '2'"]),
    "negative epochs": (fit(epochs=-1), ValueError, ["`epochs` must be an integer >= 1, got epochs=-1"]),
    "epochs in quotes": (fit(epochs="3"), TypeError, ["`epochs` must be an integer, got epochs='3'", "epochs=3."]),
    "fractional epochs": (fit(epochs=2.5), TypeError, ["got epochs=2.5 (of type float)"]),
    "initial_epoch beyond epochs": (fit(epochs=2, initial_epoch=3), ValueError,
                                    ["initial_epoch=3 is beyond epochs=2", "pass epochs=5"]),
    "class_weight keyed by strings": (fit(class_weight={"0": 1.0, "1": 2.0}), ValueError,
                                      ["keys of `class_weight` must be class ids", "got the key '0'", "Write 0 instead of '0'"]),
    "class_weight as a list": (fit(class_weight=[1.0, 2.0]), ValueError,
                               ["`class_weight` must be a dict mapping class ids to weights", "got a list"]),
    "a class weight that is not a number": (fit(class_weight={0: "high"}), ValueError,
                                            ["every weight in `class_weight` must be a number, got 'high' for class 0"]),
    "fit without targets": (lambda: regression_model().fit(X, verbose=0), ValueError,
                            ["fit(): the model was compiled with a loss (loss='mse')", "model.fit(x, y, ...)"]),
    "evaluate without targets": (lambda: regression_model().evaluate(X, verbose=0), ValueError,
                                 ["evaluate(): the model was compiled with a loss", "model.predict(x)"]),
    "validation_freq of 0": (fit(validation_data=(X, Y), validation_freq=0), ValueError,
                             ["`validation_freq` must be an integer >= 1, got validation_freq=0"]),
    "validation_freq listing epoch 0": (fit(validation_data=(X, Y), validation_freq=[0, 2]), ValueError,
                                        ["counted from 1"]),
    "negative steps_per_epoch": (fit(steps_per_epoch=-1), ValueError,
                                 ["`steps_per_epoch` must be an integer >= 1, got steps_per_epoch=-1"]),
    "validation_steps in quotes": (fit(validation_data=(X, Y), validation_steps="2"), TypeError,
                                   ["`validation_steps` must be an integer, got validation_steps='2'"]),
    "validation_data of one item": (fit(validation_data=(X,)), ValueError, ["got a tuple of 1 item"]),
    "validation_data as a list": (fit(validation_data=[X, Y]), ValueError,
                                  ["got a list of 2 items", "validation_data=(x_val, y_val)"]),
    "ragged Python lists": (lambda: regression_model().fit([[1.0, 2.0, 3.0], [1.0]], [1.0, 2.0], verbose=0),
                            ValueError, ["rows have different lengths", "pad short ones"]),
}


@pytest.mark.parametrize("case", CASES)
def test_careless_arguments_are_refused_with_the_fix(case):
    action, error_type, parts = CASES[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)


def test_a_model_without_a_loss_may_fit_on_x_alone():
    class Shrink(mlkit.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            outputs = self.dense(inputs)
            self.add_loss(mlkit.ops.mean(outputs ** 2))
            return outputs

    model = Shrink()
    model.compile(optimizer="sgd")
    history = model.fit(X, epochs=3, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_python_lists_train_exactly_like_arrays():
    from_arrays = regression_model().fit(X, Y, epochs=3, shuffle=False, verbose=0).history["loss"]
    from_lists = regression_model().fit(X.tolist(), Y.tolist(), epochs=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(from_lists, from_arrays, rtol=1e-6)
    assert from_arrays[-1] < from_arrays[0]


def test_a_typo_in_compile_stops_compile_and_keeps_the_previous_setup():
    model = regression_model()
    with pytest.raises(ValueError):
        model.compile(optimizer="sgd", loss="msee")
    assert model.loss == "mse"
    assert np.isfinite(model.evaluate(X, Y, verbose=0))
