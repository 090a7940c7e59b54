"""`History`: the callback that `fit` always adds; `fit` returns it.

`history.history` maps each log name to its list of per-epoch values,
`history.epoch` lists the epochs run, `history.params` what `fit` was asked:

    history = model.fit(x, y, epochs=3, validation_split=0.2)
    history.history["loss"]        # three training losses
    history.history["val_loss"]    # three validation losses
    history.params                 # {'verbose': 'auto', 'epochs': 3, 'steps': ...}

`model.history` points at the same object once training has started.
"""

from mlkit.callbacks.callback import Callback


class History(Callback):
    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            self.model.history = self
