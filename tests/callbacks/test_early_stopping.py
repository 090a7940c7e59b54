"""EarlyStopping: the epoch it stops at and the epoch whose weights it restores.

The expected numbers follow Keras 3's rules (keras/src/callbacks/early_stopping.py):
at every monitored epoch `wait += 1` first; an improvement (strictly better
than `best` by more than `min_delta`; the first monitored epoch always is one)
sets `best` and resets `wait` to 0 only if the value also beats `baseline`,
and never stops; otherwise training stops when `wait >= patience` (and
epoch > 0). Weights are marked with their epoch number by the harness.
"""

import warnings

import numpy as np
import pytest

import mlkit
from mlkit import callbacks

LOSSES = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.72, 0.71, 0.69, 0.5]


def as_logs(values, name="val_loss"):
    return [{name: value} for value in values]


@pytest.mark.parametrize(
    "patience, stopped_epoch, best_epoch",
    [
        # e0 best 1.0; e1 improves (0.8); e2: wait 0 -> 1, no improvement, 1 >= 0: stop.
        (0, 2, 1),
        # The same: wait is counted up before the check, so patience 1 also stops
        # at the first epoch without improvement.
        (1, 2, 1),
        # e2 wait 1, e3 wait 2, e4 improves (0.7 < 0.8) -> wait 0, e5 1, e6 2, e7 3 >= 3: stop.
        (3, 7, 4),
    ],
)
def test_patience_decides_the_stopping_epoch_and_the_restored_weights(
    run_scripted, epoch_marker, patience, stopped_epoch, best_epoch
):
    stop = callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    epochs_run, model = run_scripted(stop, as_logs(LOSSES))
    assert epochs_run == list(range(stopped_epoch + 1))
    assert stop.stopped_epoch == stopped_epoch
    assert stop.best_epoch == best_epoch and stop.best == LOSSES[best_epoch]
    assert epoch_marker(model) == best_epoch


def test_restores_the_best_weights_even_when_it_never_stopped(run_scripted, epoch_marker):
    # e4 (0.8) is the best; the five epochs after it do not improve, fewer than
    # patience 6: all 10 epochs run, and Keras 3 still restores epoch 4's weights.
    stop = callbacks.EarlyStopping(patience=6, restore_best_weights=True)
    epochs_run, model = run_scripted(stop, as_logs([1.0, 0.9, 1.1, 0.95, 0.8, 0.85, 0.9, 0.99, 0.96, 0.97]))
    assert len(epochs_run) == 10 and stop.stopped_epoch == 0
    assert epoch_marker(model) == 4


def test_without_restore_the_last_weights_stay(run_scripted, epoch_marker):
    epochs_run, model = run_scripted(callbacks.EarlyStopping(patience=1), as_logs(LOSSES))
    assert epochs_run[-1] == 2 and epoch_marker(model) == 2


def test_min_delta_counts_only_large_enough_improvements_against_the_best(run_scripted):
    # min_delta 0.15, patience 2. e1: 0.9 is not below 1.0 - 0.15 -> wait 1.
    # e2: 0.84 < 0.85 -> improvement measured from the best (1.0), wait 0.
    # e3: 0.8 is not below 0.84 - 0.15 -> wait 1; e4: 0.75 -> wait 2: stop at 4.
    stop = callbacks.EarlyStopping(min_delta=-0.15, patience=2)  # the sign is ignored
    epochs_run, _ = run_scripted(stop, as_logs([1.0, 0.9, 0.84, 0.8, 0.75, 0.1]))
    assert stop.min_delta == -0.15  # as in Keras: |min_delta|, negated for a "lower is better" quantity
    assert epochs_run == [0, 1, 2, 3, 4] and stop.best == 0.84


def test_a_baseline_never_beaten_lets_training_run_while_it_improves(run_scripted, epoch_marker):
    # baseline 0.5, patience 2: every epoch up to e3 improves on the best, which
    # returns before any stop check, but never beats 0.5 so wait is not reset:
    # e0 wait 1, e1 2, e2 3, e3 4; e4 (0.65) does not improve: 5 >= 2, stop.
    stop = callbacks.EarlyStopping(baseline=0.5, patience=2, restore_best_weights=True)
    epochs_run, model = run_scripted(stop, as_logs([0.9, 0.8, 0.7, 0.6, 0.65, 0.3]))
    assert epochs_run == [0, 1, 2, 3, 4] and epoch_marker(model) == 3


def test_a_baseline_without_any_improvement_stops_after_patience_epochs(run_scripted):
    # e0 (first value) improves but misses the baseline: wait 1; e1 no improvement: 2 >= 2.
    stop = callbacks.EarlyStopping(baseline=0.5, patience=2)
    epochs_run, _ = run_scripted(stop, as_logs([0.9, 0.95, 0.97, 0.1]))
    assert epochs_run == [0, 1] and stop.stopped_epoch == 1


def test_beating_the_baseline_resets_the_wait(run_scripted):
    # baseline 0.75: e0 wait 1, e1 wait 2 (improving, above baseline), e2 0.7 beats
    # both -> wait 0; e3 wait 1; e4 wait 2 >= 2: stop at 4.
    stop = callbacks.EarlyStopping(baseline=0.75, patience=2)
    epochs_run, _ = run_scripted(stop, as_logs([0.9, 0.8, 0.7, 0.72, 0.71, 0.1]))
    assert epochs_run == [0, 1, 2, 3, 4] and stop.best_epoch == 2


def test_mode_max_keeps_the_highest_value(run_scripted, epoch_marker):
    stop = callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=1, restore_best_weights=True)
    epochs_run, model = run_scripted(stop, as_logs([0.5, 0.6, 0.55, 0.9], "val_accuracy"))
    assert epochs_run == [0, 1, 2] and epoch_marker(model) == 1


def test_start_from_epoch_ignores_the_warm_up_epochs(run_scripted, epoch_marker):
    # Epochs 0 and 1 are not monitored (their low losses do not count): e2 is the
    # first monitored epoch and so the best; e3 does not improve: stop (patience 0).
    stop = callbacks.EarlyStopping(patience=0, start_from_epoch=2, restore_best_weights=True)
    epochs_run, model = run_scripted(stop, as_logs([0.1, 0.2, 0.9, 0.95, 0.5]))
    assert epochs_run == [0, 1, 2, 3] and epoch_marker(model) == 2


def test_a_missing_monitor_warns_and_never_stops(run_scripted):
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss"):
        epochs_run, _ = run_scripted(stop, as_logs([1.0, 2.0, 3.0], "loss"))
    assert epochs_run == [0, 1, 2]


def test_an_unknown_mode_falls_back_to_auto_with_a_warning():
    with pytest.warns(UserWarning, match="mode 'best' is unknown"):
        stop = callbacks.EarlyStopping(mode="best")
    assert stop.mode == "auto"


def test_one_instance_can_be_reused_for_a_second_training(run_scripted):
    stop = callbacks.EarlyStopping(patience=0)
    run_scripted(stop, as_logs([1.0, 2.0]))
    epochs_run, _ = run_scripted(stop, as_logs([5.0, 4.0, 4.5]))  # best starts over, not at 1.0
    assert epochs_run == [0, 1, 2] and stop.best == 4.0


def test_in_a_real_fit_a_flat_loss_stops_after_patience_epochs(tiny_model, regression_data):
    # learning rate 0: the loss never changes. As in Keras's own example,
    # patience=3 on "loss" runs 4 epochs (the first sets best; 3 without improvement).
    model = tiny_model(learning_rate=0.0)
    stop = callbacks.EarlyStopping(monitor="loss", patience=3)
    history = model.fit(*regression_data, epochs=10, verbose=0, callbacks=[stop])
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch == 3


def test_in_a_real_fit_the_best_epochs_real_weights_come_back(tiny_model, regression_data):
    script = [0.9, 0.5, 0.7, 0.8]  # val_loss as if measured: epoch 1 is the best

    class ScriptedValidation(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.weights_at_end_of = {}

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = script[epoch]
            self.weights_at_end_of[epoch] = self.model.get_weights()

    scripted = ScriptedValidation()
    stop = callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model = tiny_model()
    model.fit(*regression_data, epochs=10, verbose=0, callbacks=[scripted, stop])
    assert stop.stopped_epoch == 3
    for restored, expected in zip(model.get_weights(), scripted.weights_at_end_of[1]):
        np.testing.assert_array_equal(restored, expected)
    assert not np.array_equal(model.get_weights()[0], scripted.weights_at_end_of[3][0])


def test_mode_auto_reads_the_direction_of_a_compiled_metric(tiny_model, regression_data):
    model = tiny_model(metrics=["mae"])
    x, y = regression_data
    stop = callbacks.EarlyStopping(monitor="val_mae", patience=50)
    model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[stop])
    assert stop.monitor_op(1.0, 2.0)  # an error: lower is better

    stop_accuracy = callbacks.EarlyStopping(monitor="val_accuracy")
    classifier = mlkit.Sequential([mlkit.Input(shape=(3,)), mlkit.layers.Dense(2, activation="softmax")])
    classifier.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    labels = (x[:, 0] > 0).astype("int64")
    classifier.fit(x, labels, validation_data=(x, labels), epochs=1, verbose=0, callbacks=[stop_accuracy])
    assert stop_accuracy.monitor_op(2.0, 1.0)  # an accuracy: higher is better


def test_mode_auto_with_an_unknown_quantity_explains_what_to_pass(tiny_model, regression_data):
    stop = callbacks.EarlyStopping(monitor="val_mystery")
    with pytest.raises(ValueError, match="mode='max'") as error:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tiny_model().fit(*regression_data, epochs=1, verbose=0, callbacks=[stop])
    assert "EarlyStopping" in str(error.value)


BAD_SETTINGS = {
    "patience in quotes": (dict(patience="2"), TypeError, ["EarlyStopping: `patience` must be an integer, got patience='2'", "patience=2."]),
    "negative patience": (dict(patience=-1), ValueError, ["`patience` must be an integer >= 0, got patience=-1"]),
    "min_delta in quotes": (dict(min_delta="0.1"), TypeError, ["`min_delta` must be a number, got min_delta='0.1'"]),
    "a monitor that is not a name": (dict(monitor=3), TypeError, ["`monitor` must be the name of a logged value", "monitor=3"]),
    "a baseline in quotes": (dict(baseline="0.5"), TypeError, ["`baseline` must be a number, got baseline='0.5'"]),
    "restore_best_weights as a string": (dict(restore_best_weights="yes"), TypeError, ["`restore_best_weights` must be True or False"]),
    "a negative start_from_epoch": (dict(start_from_epoch=-2), ValueError, ["`start_from_epoch` must be an integer >= 0"]),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_settings_are_refused_when_the_callback_is_made(case):
    arguments, error_type, parts = BAD_SETTINGS[case]
    with pytest.raises(error_type) as caught:
        callbacks.EarlyStopping(**arguments)
    for part in parts:
        assert part in str(caught.value)
