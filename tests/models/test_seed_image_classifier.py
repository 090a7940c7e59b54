"""Seed 004 §6: the image classifier with a custom ConvBlock, on the bundled digits."""

import numpy as np

import mlkit
from mlkit import layers


class ConvBlock(layers.Layer):
    def __init__(self, filters, kernel_size):
        super().__init__()
        self.conv = layers.Conv2D(filters, kernel_size, padding="same")
        self.bn = layers.BatchNormalization()
        self.activation = layers.ReLU()

    def call(self, inputs):
        x = self.conv(inputs)
        x = self.bn(x)
        return self.activation(x)


def seed_model():
    return mlkit.Sequential([
        layers.Input(shape=(8, 8, 1)),
        ConvBlock(32, (3, 3)),
        layers.MaxPooling2D((2, 2)),
        ConvBlock(64, (3, 3)),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def digits_images():
    (x_train, y_train), (x_test, y_test) = mlkit.datasets.digits.load_data()
    as_images = lambda x: (x[..., None] / 16.0).astype("float32")
    one_hot = lambda y: mlkit.utils.to_categorical(y, 10)
    return (as_images(x_train), one_hot(y_train)), (as_images(x_test), one_hot(y_test))


def test_summary_counts_trainable_and_non_trainable_parameters():
    model = seed_model()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    conv1, bn1 = 3 * 3 * 1 * 32 + 32, 4 * 32
    conv2, bn2 = 3 * 3 * 32 * 64 + 64, 4 * 64
    dense1, dense2 = 2 * 2 * 64 * 128 + 128, 128 * 10 + 10
    total = conv1 + bn1 + conv2 + bn2 + dense1 + dense2
    non_trainable = 2 * 32 + 2 * 64  # the moving mean and variance of each BatchNormalization
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total - non_trainable:,}" in text
    assert f"Non-trainable params: {non_trainable:,}" in text
    assert "(None, 4, 4, 32)" in text and "(None, 256)" in text


def test_seed_model_reaches_97_percent_on_the_digits():
    (x_train, y_train), (x_test, y_test) = digits_images()
    model = seed_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    # BatchNormalization keeps 99% of its moving statistics each step (momentum=0.99),
    # so they need a few hundred steps to settle: batch 32, 12 epochs = 432 steps.
    model.fit(x_train, y_train, epochs=12, batch_size=32, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    assert test_acc >= 0.97, test_acc

    # Seed 004 §6.4: freeze the first blocks, then continue with a decaying learning rate.
    for layer in model.layers[:4]:
        layer.trainable = False
    frozen_before = [w.copy() for layer in model.layers[:4] for w in layer.get_weights()]
    schedule = mlkit.optimizers.schedules.ExponentialDecay(0.001, decay_steps=10000, decay_rate=0.96, staircase=True)
    model.compile(optimizer=mlkit.optimizers.Adam(learning_rate=schedule), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=2, batch_size=64, validation_split=0.2, verbose=0)
    frozen_after = [w for layer in model.layers[:4] for w in layer.get_weights()]
    for before, after in zip(frozen_before, frozen_after):
        np.testing.assert_array_equal(before, after)  # incl. BatchNormalization's moving statistics
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.97
