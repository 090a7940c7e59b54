"""The callback code of the course's seed article on callbacks runs as written
(with `mlkit` for `tf.keras`): early stopping on the validation loss, and
TensorBoard logging to ./logs."""

import os

import mlkit
from mlkit import callbacks, layers


def test_the_seed_training_with_early_stopping_and_tensorboard(tmp_path, monkeypatch, digits_flat):
    monkeypatch.chdir(tmp_path)
    (x_train, y_train), (x_val, y_val) = digits_flat
    model = mlkit.Sequential([
        mlkit.Input(shape=(64,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
    ])
    model.compile(
        optimizer=mlkit.optimizers.Adam(learning_rate=1e-3),
        loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[mlkit.metrics.SparseCategoricalAccuracy()],
    )
    early_stopping = callbacks.EarlyStopping(patience=3)
    tensorboard_callback = callbacks.TensorBoard(log_dir="./logs")
    history = model.fit(
        x_train, y_train, epochs=10, validation_data=(x_val, y_val), verbose=0,
        callbacks=[early_stopping, tensorboard_callback],
    )
    assert 1 <= len(history.history["val_loss"]) <= 10
    assert history.history["val_sparse_categorical_accuracy"][-1] > 0.8
    assert sorted(os.listdir("logs")) == ["train", "validation"]
