"""ReduceLROnPlateau and LearningRateScheduler: the learning-rate trajectory.

Expected values follow Keras 3 (keras/src/callbacks/reduce_lr_on_plateau.py,
learning_rate_scheduler.py). The optimizer keeps its learning rate in
float32, so values are compared as float32.
"""

import math

import numpy as np
import pytest

import mlkit
from mlkit import callbacks


def trajectory(run_scripted, tiny_model, callback, values, monitor="val_loss", learning_rate=0.1):
    """(learning rate logged at each epoch end, learning rate after each epoch)."""
    model = tiny_model(learning_rate=learning_rate)
    after = []

    class Record(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.logged = []

        def on_epoch_end(self, epoch, logs=None):
            callback.on_epoch_end(epoch, logs)
            self.logged.append(logs["learning_rate"])
            after.append(float(model.optimizer.learning_rate))

        def on_train_begin(self, logs=None):
            callback.set_model(self.model)
            callback.on_train_begin(logs)

    record = Record()
    run_scripted(record, [{monitor: value} for value in values], model=model)
    return record.logged, after


def as_float32(values):
    return [float(np.float32(v)) for v in values]


def test_reduce_lr_on_plateau_with_cooldown_and_min_lr(run_scripted, tiny_model):
    # factor 0.5, patience 1, cooldown 2, min_lr 0.02, min_delta 0:
    # e0, e1 improve. e2: no improvement, wait 1 >= 1 -> 0.1 * 0.5 = 0.05, cooldown 2.
    # e3: cooldown 2 -> 1 (wait 0), still cooling down: nothing.
    # e4: cooldown 1 -> 0 first, so not cooling down any more: wait 1 -> 0.025.
    # e5: cooldown -> 1. e6: -> 0, wait 1 -> max(0.0125, 0.02) = 0.02 (min_lr).
    # e7: cooldown -> 1. e8: 0.8 improves. e9, e10: wait 1, 2, but the rate is
    # already min_lr (0.02 is not above float32(0.02)): no change.
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.02, min_delta=0)
    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.9, 0.9]
    logged, after = trajectory(run_scripted, tiny_model, reduce, losses)
    # logs["learning_rate"] is the rate used during the epoch (read before reducing).
    assert logged == as_float32([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02])
    assert after == as_float32([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02])
    assert reduce.wait == 2  # not reset when the reduction is refused at min_lr


def test_cooldown_1_skips_no_epoch(run_scripted, tiny_model):
    # Keras counts the cooldown down before checking it: with cooldown=1 the
    # epoch after a reduction is already out of cooldown, so a plateau reduces
    # at every epoch, exactly as with cooldown=0.
    for cooldown in (0, 1):
        reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=cooldown)
        _, after = trajectory(run_scripted, tiny_model, reduce, [1.0, 0.9, 0.9, 0.9, 0.9])
        assert after == as_float32([0.1, 0.1, 0.05, 0.025, 0.0125])


def test_patience_counts_epochs_without_improvement_and_min_delta_matters(run_scripted, tiny_model):
    # Default min_delta 1e-4: 0.99995 is not an improvement on 1.0. patience 3:
    # waits 1, 2, 3 at e1..e3 -> reduce at e3 (factor 0.1).
    reduce = callbacks.ReduceLROnPlateau(patience=3)
    _, after = trajectory(run_scripted, tiny_model, reduce, [1.0, 0.99995, 0.99995, 0.99995, 0.5])
    assert after == as_float32([0.1, 0.1, 0.1, 0.01, 0.01])


def test_mode_auto_maximizes_names_with_acc(run_scripted, tiny_model):
    reduce = callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=1, factor=0.5)
    _, rising = trajectory(run_scripted, tiny_model, reduce, [0.5, 0.6, 0.7], monitor="val_accuracy")
    assert rising == as_float32([0.1] * 3)
    reduce = callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=1, factor=0.5)
    _, falling = trajectory(run_scripted, tiny_model, reduce, [0.5, 0.4, 0.3], monitor="val_accuracy")
    assert falling == as_float32([0.1, 0.05, 0.025])


def test_reduce_lr_refuses_a_factor_of_one_or_more():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_warns_when_the_monitor_is_missing(run_scripted, tiny_model):
    reduce = callbacks.ReduceLROnPlateau(monitor="val_loss")
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss,learning_rate"):
        run_scripted(reduce, [{"loss": 1.0}], model=tiny_model())


def test_reduce_lr_in_a_real_fit_records_the_rate_in_the_history(tiny_model, capsys):
    # Zero inputs and targets with zero-initialized bias: the loss is exactly 0 and
    # stays there. e0 sets best; e1 and e2 do not improve -> 0.05, then 0.025.
    model = tiny_model(learning_rate=0.1)
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, verbose=1)
    history = model.fit(np.zeros((4, 3)), np.zeros((4, 1)), epochs=3, verbose=0, callbacks=[reduce])
    assert history.history["loss"] == [0.0, 0.0, 0.0]
    assert history.history["learning_rate"] == as_float32([0.1, 0.1, 0.05])
    assert float(model.optimizer.learning_rate) == as_float32([0.025])[0]
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05" in capsys.readouterr().out


def test_scheduler_applies_the_schedule_at_each_epoch_start_as_in_the_keras_example():
    # Keras's documented example: SGD's default rate 0.01, kept for 10 epochs,
    # then multiplied by exp(-0.1) at each of 5 more: 0.01 * exp(-0.5) = 0.00607.
    def schedule(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    model = mlkit.Sequential([mlkit.Input(shape=(20,)), mlkit.layers.Dense(10)])
    model.compile(mlkit.optimizers.SGD(), loss="mse")
    assert round(float(model.optimizer.learning_rate), 5) == 0.01
    history = model.fit(
        np.arange(100, dtype="float32").reshape(5, 20) / 100, np.zeros((5, 10)), epochs=15,
        callbacks=[callbacks.LearningRateScheduler(schedule)], verbose=0,
    )
    assert round(float(model.optimizer.learning_rate), 5) == 0.00607
    rates = history.history["learning_rate"]
    assert rates[:10] == as_float32([0.01] * 10) and rates[-1] == pytest.approx(0.01 * math.exp(-0.5), rel=1e-5)


def test_scheduler_passes_epoch_and_current_rate_and_accepts_a_one_argument_schedule(
    tiny_model, regression_data, capsys
):
    calls = []

    def halve(epoch, lr):
        calls.append((epoch, round(lr, 6)))
        return lr / 2

    model = tiny_model(learning_rate=0.4)
    model.fit(*regression_data, epochs=3, verbose=0, callbacks=[callbacks.LearningRateScheduler(halve, verbose=1)])
    assert calls == [(0, 0.4), (1, 0.2), (2, 0.1)]
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.05" in capsys.readouterr().out

    model.fit(*regression_data, epochs=2, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.001 * (epoch + 1))])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.002)


def test_scheduler_accepts_a_tensor_from_mlkit_ops(tiny_model, regression_data):
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: lr * mlkit.ops.exp(-1.0))
    model = tiny_model(learning_rate=1.0)
    model.fit(*regression_data, epochs=2, verbose=0, callbacks=[schedule])
    assert float(model.optimizer.learning_rate) == pytest.approx(math.exp(-2.0), rel=1e-6)


def test_scheduler_refuses_a_non_float_result(tiny_model, regression_data):
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 1)
    with pytest.raises(ValueError, match="should be a float. Got: 1") as error:
        tiny_model().fit(*regression_data, epochs=1, verbose=0, callbacks=[schedule])
    assert "LearningRateScheduler in on_epoch_begin(epoch=0)" in str(error.value.__notes__)


BAD_SETTINGS = {
    "a schedule without parameters": (
        lambda: callbacks.LearningRateScheduler(lambda: 0.1), TypeError,
        ["LearningRateScheduler: `schedule` is called as schedule(epoch, lr) (or schedule(epoch))", "<lambda>()"]),
    "a schedule with three parameters": (
        lambda: callbacks.LearningRateScheduler(lambda epoch, lr, extra: lr), TypeError,
        ["<lambda>(epoch, lr, extra)", "def schedule(epoch, lr): return lr"]),
    "ReduceLROnPlateau patience in quotes": (
        lambda: callbacks.ReduceLROnPlateau(patience="2"), TypeError,
        ["ReduceLROnPlateau: `patience` must be an integer, got patience='2'"]),
    "ReduceLROnPlateau negative cooldown": (
        lambda: callbacks.ReduceLROnPlateau(cooldown=-1), ValueError, ["`cooldown` must be an integer >= 0"]),
    "ReduceLROnPlateau factor in quotes": (
        lambda: callbacks.ReduceLROnPlateau(factor="0.5"), TypeError, ["`factor` must be a number, got factor='0.5'"]),
    "ReduceLROnPlateau negative min_lr": (
        lambda: callbacks.ReduceLROnPlateau(min_lr=-1e-3), ValueError, ["`min_lr` must be a number >= 0"]),
    "ReduceLROnPlateau monitor that is not a name": (
        lambda: callbacks.ReduceLROnPlateau(monitor=None), TypeError, ["`monitor` must be the name of a logged value"]),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_settings_are_refused_when_the_callback_is_made(case):
    action, error_type, parts = BAD_SETTINGS[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)


def test_a_schedule_of_the_epoch_alone_still_works(tiny_model, regression_data):
    model = tiny_model(learning_rate=0.1)
    model.fit(*regression_data, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.5 ** epoch)])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5)
