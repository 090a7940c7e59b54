"""CSVLogger, TerminateOnNaN and LambdaCallback."""

import numpy as np
import pytest

from mlkit import callbacks


def test_csv_logger_writes_one_sorted_row_per_epoch(tmp_path, tiny_model, regression_data):
    x, y = regression_data
    path = tmp_path / "log.csv"
    history = tiny_model(metrics=["mae"]).fit(x, y, validation_data=(x, y), epochs=2, verbose=0,
                                              callbacks=[callbacks.CSVLogger(path)])
    lines = path.read_bytes().decode().split("\r\n")  # the csv module's (and Keras's) line ends
    assert lines[0] == "epoch,loss,mae,val_loss,val_mae" and lines[-1] == ""
    for epoch, line in enumerate(lines[1:3]):
        cells = line.split(",")
        assert cells[0] == str(epoch)
        assert [float(c) for c in cells[1:]] == pytest.approx(
            [history.history[name][epoch] for name in ("loss", "mae", "val_loss", "val_mae")])


def test_csv_logger_appends_without_a_second_header_and_uses_the_separator(tmp_path, tiny_model, regression_data):
    path = tmp_path / "log.tsv"
    model = tiny_model()
    model.fit(*regression_data, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")])
    model.fit(*regression_data, epochs=1, verbose=0,
              callbacks=[callbacks.CSVLogger(path, separator="\t", append=True)])
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert [row[0] for row in rows] == ["epoch", "0", "1", "0"]
    model.fit(*regression_data, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")])
    assert len(path.read_text().splitlines()) == 2  # append=False starts the file over


def test_csv_logger_writes_na_for_a_value_missing_later(tmp_path, run_scripted):
    path = tmp_path / "log.csv"
    run_scripted(callbacks.CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5}])
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,2.0", "1,0.5,NA"]


def test_csv_logger_writes_val_columns_without_validation_data_as_keras(tmp_path, tiny_model, regression_data):
    path = tmp_path / "log.csv"
    tiny_model(metrics=["mae"]).fit(*regression_data, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    rows = [line.split(",") for line in path.read_text().splitlines()]
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [row[3:] for row in rows[1:]] == [["NA", "NA"], ["NA", "NA"]]
    assert float(rows[2][1]) > 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_after_the_first_bad_batch(tiny_model, regression_data, capsys):
    x, y = regression_data
    y = y.copy()
    y[5] = np.nan  # in the third batch of two samples
    batches = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    history = tiny_model().fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0,
                               callbacks=[callbacks.TerminateOnNaN(), record])
    assert batches == [0, 1, 2] and history.epoch == [0]
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_can_raise_instead(tiny_model, regression_data):
    x, y = regression_data
    y = np.full_like(y, np.inf)
    ended = []
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0") as error:
        tiny_model().fit(x, y, epochs=2, verbose=0, callbacks=[
            callbacks.TerminateOnNaN(raise_error=True),
            callbacks.LambdaCallback(on_train_end=lambda logs: ended.append(True))])
    assert ended == []  # on_train_end is skipped
    assert "TerminateOnNaN in on_train_batch_end(batch=0)" in error.value.__notes__[0]


def test_lambda_callback_calls_each_function_with_the_hook_arguments(tiny_model, regression_data):
    seen = []
    hooks = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: seen.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: seen.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: seen.append(("batch_end", batch, round(logs["loss"], 3) >= 0)),
        on_epoch_end=lambda epoch, logs: seen.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: seen.append(("train_end", sorted(logs))),
        on_test_end=lambda logs: seen.append(("test_end", sorted(logs))),
    )
    x, y = regression_data
    tiny_model().fit(x, y, epochs=1, validation_data=(x, y), verbose=0, callbacks=[hooks])
    assert seen == [
        "train_begin", ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0, True),
        ("test_end", ["loss"]), ("epoch_end", 0, ["loss", "val_loss"]), ("train_end", ["loss", "val_loss"]),
    ]


def test_lambda_callback_refuses_an_unknown_hook_name():
    with pytest.raises(TypeError, match="on_epoch_ended"):
        callbacks.LambdaCallback(on_epoch_ended=print)
    with pytest.raises(TypeError, match="must be a function"):
        callbacks.LambdaCallback(on_epoch_end="print")


WRONG_HOOK_FUNCTIONS = {
    "an epoch hook without the epoch": (dict(on_epoch_end=lambda logs: None), "on_epoch_end(epoch, logs)", "<lambda>(logs)"),
    "a logs-only hook with three parameters": (dict(on_train_begin=lambda a, b, c: None), "on_train_begin(logs)", "<lambda>(a, b, c)"),
    "a batch hook without parameters": (dict(on_train_batch_end=lambda: None), "on_train_batch_end(batch, logs)", "<lambda>()"),
    "a hook by keyword with one parameter too many": (dict(on_test_end=lambda a, b: None), "on_test_end(logs)", "<lambda>(a, b)"),
}


@pytest.mark.parametrize("case", WRONG_HOOK_FUNCTIONS)
def test_lambda_callback_refuses_functions_of_the_wrong_arity(case):
    hooks, call_text, given = WRONG_HOOK_FUNCTIONS[case]
    with pytest.raises(TypeError) as caught:
        callbacks.LambdaCallback(**hooks)
    message = str(caught.value)
    assert f"is called as {call_text}" in message and given in message


def test_batch_hooks_may_name_their_parameters_as_they_like(tiny_model, regression_data):
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda step, batch_logs: seen.append((step, sorted(batch_logs))))
    tiny_model().fit(*regression_data, batch_size=4, epochs=1, verbose=0, callbacks=[record])
    assert seen == [(0, ["loss"]), (1, ["loss"])]


def test_csv_logger_needs_a_file_path():
    with pytest.raises(TypeError) as caught:
        callbacks.CSVLogger(None)
    assert "CSVLogger: `filename` must be the path of the CSV file to write" in str(caught.value)
