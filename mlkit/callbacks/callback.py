"""`Callback`: code that `fit`, `evaluate` and `predict` call at fixed points.

Override any hook; each receives the step or epoch index and a `logs` dict.
`self.model` is the model being trained, so a callback can stop training
(`self.model.stop_training = True`) or change the learning rate
(`self.model.optimizer.learning_rate = ...`). `self.params` holds what the
loop was asked to do: `{"verbose": ..., "epochs": ..., "steps": ...}`.

    >>> from mlkit import callbacks
    >>> class PrintLoss(callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")

The hooks, in the order `fit(..., validation_data=...)` calls them::

    on_train_begin
      on_epoch_begin(epoch)                       # for every epoch
        on_train_batch_begin(batch)               # for every batch
        on_train_batch_end(batch, logs)           #   logs: running means this epoch
        on_test_begin                             # validation, if any
          on_test_batch_begin / on_test_batch_end
        on_test_end(logs)                         #   logs: validation results
      on_epoch_end(epoch, logs)                   #   logs: training + val_ results
    on_train_end(logs)                            #   logs: the last epoch's logs

`evaluate` calls on_test_begin, the test batch hooks and on_test_end;
`predict` calls on_predict_begin, on_predict_batch_begin, on_predict_batch_end
(logs: `{"outputs": ...}`) and on_predict_end.
"""


class Callback:
    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_train_begin(self, logs=None):
        """Called once when fit() starts (logs: empty)."""

    def on_train_end(self, logs=None):
        """Called once when fit() ends normally (logs: the last epoch's logs)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of every epoch (epoch counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of every epoch (logs: training values, and val_ values)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch (batch counts from 0 in every epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch (logs: running means over this epoch so far)."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        """Called when evaluate() starts, or when validation starts inside fit()."""

    def on_test_end(self, logs=None):
        """Called when evaluate() or validation ends (logs: the results)."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch (logs: running means so far)."""

    def on_predict_begin(self, logs=None):
        """Called when predict() starts."""

    def on_predict_end(self, logs=None):
        """Called when predict() ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch (logs: {'outputs': the batch's outputs})."""

    # Older names for the training-batch hooks; the two hooks above call them.
    def on_batch_begin(self, batch, logs=None):
        """Called before each training batch (unless on_train_batch_begin is overridden)."""

    def on_batch_end(self, batch, logs=None):
        """Called after each training batch (unless on_train_batch_end is overridden)."""
