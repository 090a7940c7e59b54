"""`CSVLogger`: write every epoch's logs as one row of a CSV file.

The first column is `epoch` (counted from 0), then the log names in
alphabetical order, as Keras writes them; a value missing in some epoch is
written as `NA`. As in Keras, a run whose first epoch has no validation
results still gets their `val_` columns (filled with `NA`), so that a later
validation (`validation_freq`) has a column to go to. The file is flushed after every row, so it can be read
while training runs. `append=True` continues an existing file (no second
header), which suits a resumed training.

    >>> from mlkit import callbacks
    >>> logger = callbacks.CSVLogger("training.csv", separator=",", append=False)
    >>> # model.fit(x, y, epochs=5, callbacks=[logger])
    >>> # epoch,loss,val_loss
    >>> # 0,0.69,0.68 ...
"""

import collections.abc
import csv
import os

import numpy as np

from mlkit.callbacks.callback import Callback


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"CSVLogger: `filename` must be the path of the CSV file to write, such as "
                f"'training.csv', got filename={filename!r} (of type {type(filename).__name__})."
            )
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as existing:
                self.append_header = not existing.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
