"""`Callback`: code that `fit`, `evaluate` and `predict` call at fixed points.

Override any hook; each receives the step or epoch index and a `logs` dict
(loss and metric values so far). `self.model` is the model being trained, so
a callback can stop training (`self.model.stop_training = True`) or change
the learning rate (`self.model.optimizer.learning_rate = ...`).

    >>> from mlkit import callbacks
    >>> class PrintLoss(callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")

The hooks, in the order `fit` calls them:
on_train_begin, then per epoch on_epoch_begin, per batch
on_train_batch_begin / on_train_batch_end, then (with validation data)
on_test_begin, on_test_batch_begin / on_test_batch_end, on_test_end,
then on_epoch_end; finally on_train_end.
"""


class Callback:
    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_train_begin(self, logs=None):
        """Called once when fit() starts."""

    def on_train_end(self, logs=None):
        """Called once when fit() ends (logs: the last epoch's values)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of every epoch."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of every epoch (logs: training and val_ values)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch (logs: running averages this epoch)."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        """Called when evaluate() starts, or validation inside fit()."""

    def on_test_end(self, logs=None):
        """Called when evaluate() or validation ends (logs: the results)."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch."""

    def on_predict_begin(self, logs=None):
        """Called when predict() starts."""

    def on_predict_end(self, logs=None):
        """Called when predict() ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch (logs: {'outputs': ...})."""

    # Older names for the training-batch hooks, called by the two above.
    def on_batch_begin(self, batch, logs=None):
        """Called before each training batch (unless on_train_batch_begin is overridden)."""

    def on_batch_end(self, batch, logs=None):
        """Called after each training batch (unless on_train_batch_end is overridden)."""
