"""The callback lifecycle: hook order, logs, params, History, stop_training, errors.

The expected sequences are written out from Keras 3's fit/evaluate/predict
loops (keras/src/backend/*/trainer.py) and CallbackList.
"""

import numpy as np
import pytest

import mlkit
from mlkit import callbacks

HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
]


class Recorder(callbacks.Callback):
    """Records (hook, epoch or batch, sorted log names) for every hook."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.logs = []

    def _record(self, hook, index, logs):
        assert isinstance(logs, dict) or hasattr(logs, "items"), f"{hook} got logs={logs!r}"
        self.calls.append((hook, index, sorted(logs)))
        self.logs.append((hook, index, logs))


def _make_recording_hook(hook):
    if hook.endswith(("_train_begin", "_train_end", "_test_begin", "_test_end", "_predict_begin", "_predict_end")):
        def method(self, logs=None):
            self._record(hook, None, logs)
    else:
        def method(self, index, logs=None):
            self._record(hook, index, logs)
    return method


for _hook in HOOKS:
    setattr(Recorder, _hook, _make_recording_hook(_hook))

METRICS = ["loss", "mae"]
EPOCH_LOGS = ["loss", "mae", "val_loss", "val_mae"]


def epoch_calls(epoch):
    return [
        ("on_epoch_begin", epoch, []),
        ("on_train_batch_begin", 0, []),
        ("on_train_batch_end", 0, METRICS),
        ("on_train_batch_begin", 1, []),
        ("on_train_batch_end", 1, METRICS),
        ("on_test_begin", None, []),
        ("on_test_batch_begin", 0, []),
        ("on_test_batch_end", 0, METRICS),
        ("on_test_end", None, METRICS),
        ("on_epoch_end", epoch, EPOCH_LOGS),
    ]


@pytest.fixture
def model(tiny_model):
    return tiny_model(metrics=["mae"])


def test_fit_with_validation_calls_every_hook_in_the_keras_order(model, regression_data):
    x, y = regression_data  # 8 samples, batch_size 4: two training batches
    recorder = Recorder()
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x[:3], y[:3]), verbose=0, callbacks=[recorder])
    expected = [("on_train_begin", None, [])] + epoch_calls(0) + epoch_calls(1) + [("on_train_end", None, EPOCH_LOGS)]
    assert recorder.calls == expected


def test_evaluate_and_predict_call_their_hooks_in_order(model, regression_data):
    x, y = regression_data
    recorder = Recorder()
    model.evaluate(x, y, batch_size=5, verbose=0, callbacks=[recorder])
    assert recorder.calls == [
        ("on_test_begin", None, []),
        ("on_test_batch_begin", 0, []),
        ("on_test_batch_end", 0, METRICS),
        ("on_test_batch_begin", 1, []),
        ("on_test_batch_end", 1, METRICS),
        ("on_test_end", None, METRICS),
    ]
    recorder = Recorder()
    predictions = model.predict(x, batch_size=5, verbose=0, callbacks=[recorder])
    assert recorder.calls == [
        ("on_predict_begin", None, []),
        ("on_predict_batch_begin", 0, []),
        ("on_predict_batch_end", 0, ["outputs"]),
        ("on_predict_batch_begin", 1, []),
        ("on_predict_batch_end", 1, ["outputs"]),
        ("on_predict_end", None, []),
    ]
    batch_outputs = [logs["outputs"] for hook, _, logs in recorder.logs if hook == "on_predict_batch_end"]
    np.testing.assert_array_equal(np.concatenate(batch_outputs), predictions)


def test_the_logs_hold_running_means_then_epoch_results_then_val_results(model, regression_data):
    x, y = regression_data
    x_val, y_val = x[:3] * 2, y[:3]
    recorder = Recorder()
    history = model.fit(x, y, batch_size=4, epochs=1, validation_data=(x_val, y_val), verbose=0,
                        callbacks=[recorder], shuffle=False)
    logs = {(hook, index): dict(value) for hook, index, value in recorder.logs}
    first, second = logs[("on_train_batch_end", 0)], logs[("on_train_batch_end", 1)]
    epoch = logs[("on_epoch_end", 0)]
    # Two equal batches: the running mean after the second is the epoch's result.
    assert second["loss"] == pytest.approx(epoch["loss"]) and first["loss"] != second["loss"]
    # The val_ values are what evaluate() on the validation data gives after the epoch.
    assert epoch["val_loss"] == pytest.approx(model.evaluate(x_val, y_val, verbose=0)[0])
    assert logs[("on_test_end", None)] == {"loss": epoch["val_loss"], "mae": epoch["val_mae"]}
    # Epoch logs are sorted by name, validation last, like Keras's; History records them.
    assert list(epoch) == EPOCH_LOGS and list(history.history) == EPOCH_LOGS
    # on_train_end receives the last epoch's logs (the same dict).
    end_logs = [value for hook, _, value in recorder.logs if hook == "on_train_end"][0]
    epoch_end_logs = [value for hook, _, value in recorder.logs if hook == "on_epoch_end"][0]
    assert end_logs is epoch_end_logs


def test_a_training_that_runs_no_epoch_ends_with_empty_logs(model, regression_data):
    recorder = Recorder()
    model.fit(*regression_data, epochs=2, initial_epoch=2, verbose=0, callbacks=[recorder])
    assert recorder.calls == [("on_train_begin", None, []), ("on_train_end", None, [])]


def test_params_tell_verbose_epochs_and_steps(model, regression_data):
    recorder = Recorder()
    history = model.fit(*regression_data, batch_size=3, epochs=4, verbose=0, callbacks=[recorder])
    assert recorder.params == {"verbose": 0, "epochs": 4, "steps": 3} == history.params
    model.evaluate(*regression_data, batch_size=8, verbose=0, callbacks=[recorder])
    assert recorder.params == {"verbose": 0, "epochs": 1, "steps": 1}
    assert recorder.model is model


def test_history_is_always_there_returned_and_on_the_model(model, regression_data):
    history = model.fit(*regression_data, epochs=3, verbose=0)
    assert isinstance(history, callbacks.History) and model.history is history
    assert history.epoch == [0, 1, 2] and len(history.history["loss"]) == 3
    mine = callbacks.History()
    assert model.fit(*regression_data, epochs=1, verbose=0, callbacks=[mine]) is mine


def test_keras_order_of_the_default_callbacks():
    # History, then ProgbarLogger, after the user's callbacks: a callback that
    # adds to the logs runs before they are recorded and printed.
    mine = callbacks.LambdaCallback()
    hooks = callbacks.CallbackList([mine], add_history=True, add_progbar=True)
    assert [type(c) for c in hooks.callbacks] == [callbacks.LambdaCallback, callbacks.History, callbacks.ProgbarLogger]


def test_a_callback_that_adds_to_the_logs_is_seen_by_history(model, regression_data):
    adds = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(double=2 * logs["loss"]))
    history = model.fit(*regression_data, epochs=2, verbose=0, callbacks=[adds])
    assert history.history["double"] == [2 * value for value in history.history["loss"]]


def test_stop_training_is_honoured_at_a_batch_boundary(model, regression_data):
    recorder = Recorder()
    stopper = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: setattr(stopper.model, "stop_training", batch == 0)
    )
    model.fit(*regression_data, batch_size=2, epochs=3, verbose=0, callbacks=[stopper, recorder])
    # The epoch is cut after its first batch, still ends (on_epoch_end), then training ends.
    assert [call[:2] for call in recorder.calls] == [
        ("on_train_begin", None), ("on_epoch_begin", 0), ("on_train_batch_begin", 0),
        ("on_train_batch_end", 0), ("on_epoch_end", 0), ("on_train_end", None),
    ]


def test_stop_training_is_honoured_at_an_epoch_boundary(model, regression_data):
    stopper = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(stopper.model, "stop_training", epoch == 1)
    )
    history = model.fit(*regression_data, epochs=10, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1]


def test_stop_evaluating_and_stop_predicting_end_those_loops(model, regression_data):
    x, y = regression_data
    count = callbacks.LambdaCallback(
        on_test_batch_end=lambda batch, logs: setattr(count.model, "stop_evaluating", True),
        on_predict_batch_end=lambda batch, logs: setattr(count.model, "stop_predicting", True),
    )
    assert len(model.predict(x, batch_size=2, verbose=0, callbacks=[count])) == 2
    first_batch = model.evaluate(x[:2], y[:2], verbose=0)
    assert model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[count]) == pytest.approx(first_batch)


class Broken(callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise ValueError("the callback could not read logs['val_loss']")


def test_an_error_in_a_callback_keeps_its_type_and_names_the_callback_and_the_hook(model, regression_data):
    recorder = Recorder()
    with pytest.raises(ValueError, match="could not read") as error:
        model.fit(*regression_data, epochs=3, verbose=0, callbacks=[Broken(), recorder])
    assert error.value.__notes__ == ["(raised by the callback Broken in on_epoch_end(epoch=1))"]
    # Training stopped there: no later hook ran, not even on_train_end (as in Keras).
    hooks_seen = [call[:2] for call in recorder.calls]
    assert hooks_seen[-3:] == [("on_epoch_begin", 1), ("on_train_batch_begin", 0), ("on_train_batch_end", 0)]
    assert ("on_epoch_end", 0) in hooks_seen and "on_train_end" not in [hook for hook, _ in hooks_seen]


def test_an_error_in_a_batch_hook_names_the_batch(model, regression_data):
    def fail(batch, logs):
        if batch == 1:
            raise KeyError("accuracy")

    with pytest.raises(KeyError) as error:
        model.fit(*regression_data, batch_size=4, epochs=1, verbose=0,
                  callbacks=[callbacks.LambdaCallback(on_train_batch_end=fail)])
    assert error.value.__notes__ == ["(raised by the callback LambdaCallback in on_train_batch_end(batch=1))"]


def test_only_callbacks_that_override_a_hook_are_called():
    class EpochsOnly(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class OldStyle(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):  # reached through on_train_batch_end
            pass

    epochs_only, old_style, history = EpochsOnly(), OldStyle(), callbacks.History()
    hooks = callbacks.CallbackList([epochs_only, old_style, history])
    assert [c for c, _ in hooks._handlers_for("on_train_batch_begin")] == []
    assert [c for c, _ in hooks._handlers_for("on_train_batch_end")] == [old_style]
    assert [c for c, _ in hooks._handlers_for("on_epoch_end")] == [epochs_only, history]
    lam = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: None)
    hooks.append(lam)  # the list changed: looked at again
    assert [c for c, _ in hooks._handlers_for("on_train_batch_begin")] == [lam]


def test_the_old_batch_hook_names_are_called_for_training_batches(model, regression_data):
    seen = []

    class OldStyle(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, sorted(logs)))

    model.fit(*regression_data, batch_size=4, epochs=1, verbose=0, callbacks=[OldStyle()])
    assert seen == [("begin", 0), ("end", 0, METRICS), ("begin", 1), ("end", 1, METRICS)]


def test_hooks_always_receive_a_dict():
    received = []
    hooks = callbacks.CallbackList([callbacks.LambdaCallback(on_train_begin=lambda logs: received.append(logs))])
    hooks.on_train_begin()
    assert received == [{}]


def test_anything_but_a_callback_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="LambdaCallback"):
        callbacks.CallbackList([lambda epoch, logs: None])


def test_nested_lists_of_callbacks_are_flattened():
    first, second = callbacks.History(), callbacks.LambdaCallback()
    assert callbacks.CallbackList([[first], (second,)]).callbacks == [first, second]


def test_a_custom_train_step_with_extra_logs_reaches_the_epoch_logs(regression_data):
    class WithNorm(mlkit.Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**dict(logs), "weight_norm": float(np.linalg.norm(self.get_weights()[0]))}

    model = WithNorm([mlkit.Input(shape=(3,)), mlkit.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(*regression_data, batch_size=8, epochs=2, verbose=0)
    # As in Keras: when the step's logs have other names than the metrics, the
    # epoch logs are the last step's logs.
    assert sorted(history.history) == ["loss", "weight_norm"]
    assert history.history["weight_norm"][-1] == pytest.approx(float(np.linalg.norm(model.get_weights()[0])))


def test_validation_freq_as_a_list_of_epochs(model, regression_data):
    x, y = regression_data
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=[2, 4], verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
