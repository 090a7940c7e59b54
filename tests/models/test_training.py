"""fit / evaluate / predict really train: accuracies, frozen layers, weights, data forms."""

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops


def digits_mlp():
    return mlkit.Sequential([
        mlkit.Input(shape=(64,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def test_mlp_reaches_97_percent_on_the_digits(digits_flat):
    (x_train, y_train), (x_test, y_test) = digits_flat
    model = digits_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.97, accuracy
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert set(history.history) == {"loss", "accuracy"}
    assert history.epoch == list(range(30))


def test_training_is_deterministic_under_a_seed(digits_flat):
    (x_train, y_train), _ = digits_flat

    def run():
        mlkit.utils.set_random_seed(7)
        model = digits_mlp()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        return model.fit(x_train[:256], y_train[:256], epochs=2, verbose=0).history["loss"]

    assert run() == run()


def test_validation_split_and_validation_data_give_val_logs(digits_flat):
    (x_train, y_train), (x_test, y_test) = digits_flat
    model = digits_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train[:400], y_train[:400], epochs=2, validation_split=0.25, verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(history.history)
    history = model.fit(x_train[:400], y_train[:400], epochs=1, validation_data=(x_test, y_test), verbose=0)
    expected_loss, expected_accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected_loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(expected_accuracy)


def test_frozen_layer_is_bit_identical_after_fit(digits_flat):
    (x_train, y_train), _ = digits_flat
    model = digits_mlp()
    model.layers[0].trainable = False
    before = [w.copy() for w in model.layers[0].get_weights()]
    others_before = model.layers[1].get_weights()[0].copy()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train[:200], y_train[:200], epochs=2, verbose=0)
    for got, expected in zip(model.layers[0].get_weights(), before):
        np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(model.layers[1].get_weights()[0], others_before)


def test_two_input_functional_model_trains():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(512, 3)).astype("float32"), rng.normal(size=(512, 2)).astype("float32")
    target = (a @ [[1.0], [-2.0], [0.5]] + b @ [[3.0], [1.0]]).astype("float32")
    in_a, in_b = mlkit.Input(shape=(3,)), mlkit.Input(shape=(2,))
    merged = layers.Dense(8, activation="tanh")(in_a) + layers.Dense(8, activation="tanh")(in_b)
    model = mlkit.Model([in_a, in_b], layers.Dense(1)(merged))
    model.compile(optimizer=mlkit.optimizers.Adam(0.01), loss="mse")
    history = model.fit([a, b], target, epochs=40, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]


class TwoLayerNet(mlkit.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(64, activation="relu")
        self.out = layers.Dense(10, activation="softmax")

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


def test_subclassed_model_trains_and_tracks_its_layers(digits_flat):
    (x_train, y_train), (x_test, y_test) = digits_flat
    model = TwoLayerNet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=20, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] > 0.95
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"]
    assert len(model.trainable_weights) == 4


def test_predict_batches_and_matches_a_direct_call(digits_flat):
    _, (x_test, _) = digits_flat
    model = digits_mlp()
    predictions = model.predict(x_test, batch_size=50, verbose=0)
    assert predictions.shape == (len(x_test), 10)
    np.testing.assert_allclose(predictions, model(x_test).numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x_test[:3]), predictions[:3], rtol=1e-6)


def test_generator_of_batches(digits_flat):
    (x_train, y_train), _ = digits_flat

    def batches():
        for start in range(0, 320, 32):
            yield x_train[start:start + 32], y_train[start:start + 32]

    model = digits_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(batches(), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    assert model.optimizer.iterations.numpy() == 10


def test_sample_weight_zero_removes_samples_from_the_loss():
    model = mlkit.Sequential([mlkit.Input(shape=(1,)), layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[1.0], [1.0]], dtype="float32")
    y = np.array([[1.0], [100.0]], dtype="float32")
    weighted = model.evaluate(x, y, sample_weight=np.array([1.0, 0.0]), verbose=0)
    assert weighted == pytest.approx(0.5)  # only the first sample: (1 - 0)^2, averaged over 2


def test_class_weight_changes_the_loss():
    model = mlkit.Sequential([mlkit.Input(shape=(2,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = np.ones((4, 2), dtype="float32"), np.array([0, 0, 1, 1])
    model.layers[0].set_weights([np.zeros((2, 2)), np.zeros(2)])
    plain = model.train_on_batch(x, y)
    assert plain == pytest.approx(np.log(2), rel=1e-5)  # uniform predictions
    model.layers[0].set_weights([np.zeros((2, 2)), np.zeros(2)])
    model.reset_metrics()  # like Keras 3, train_on_batch accumulates metrics otherwise
    weighted = model.train_on_batch(x, y, class_weight={0: 1.0, 1: 3.0})
    assert weighted == pytest.approx(np.log(2) * 2, rel=1e-5)  # mean of weights (1, 1, 3, 3) = 2


def test_add_loss_and_regularizers_are_part_of_the_training_loss():
    class Penalty(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.convert_to_tensor(1.5))
            return inputs

    model = mlkit.Sequential([
        mlkit.Input(shape=(1,)),
        layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros", kernel_regularizer=mlkit.regularizers.l2(0.1)),
        Penalty(),
    ])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((2, 1), dtype="float32"), np.zeros((2, 1), dtype="float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.0 + 0.1 * 1.0 + 1.5)


def test_custom_train_step_with_gradient_tape(digits_flat):
    (x_train, y_train), _ = digits_flat

    class CustomStep(mlkit.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(10)
            self.loss_tracker = mlkit.metrics.Mean(name="loss")

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            x, y = data
            with mlkit.GradientTape() as tape:
                logits = self(x, training=True)
                loss = ops.mean(mlkit.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

        @property
        def metrics(self):
            return [self.loss_tracker]

    model = CustomStep()
    model.compile(optimizer=mlkit.optimizers.Adam(0.01))
    history = model.fit(x_train, y_train, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_stop_training_from_a_callback_ends_fit():
    class StopAfterTwo(mlkit.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = mlkit.Sequential([mlkit.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=10, callbacks=[StopAfterTwo()], verbose=0)
    assert history.epoch == [0, 1]


def test_fit_before_compile_explains_what_to_do():
    model = digits_mlp()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((2, 64)), np.zeros(2))


def test_iterations_are_kept_across_fit_calls():
    model = mlkit.Sequential([mlkit.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((64, 1)), np.ones((64, 1)), batch_size=16, epochs=1, verbose=0)
    model.fit(np.ones((64, 1)), np.ones((64, 1)), batch_size=16, epochs=2, verbose=0)
    assert model.optimizer.iterations.numpy() == 12


def test_verbose_2_prints_one_line_per_epoch_with_validation(capsys):
    model = mlkit.Sequential([mlkit.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=2, validation_split=0.25, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines[0] == "Epoch 1/2"
    assert "loss:" in lines[1] and "val_loss:" in lines[1]
    assert len(lines) == 4
