"""`mlkit.callbacks`: hooks into the training loop, with Keras 3's names.

    >>> from mlkit import callbacks
    >>> stop = callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    >>> # history = model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])

`Callback` is the base class (see it for the hooks and their order);
`History` and `ProgbarLogger` are added by `fit` itself. The others:
`EarlyStopping`, `ReduceLROnPlateau`, `LearningRateScheduler`,
`ModelCheckpoint`, `BackupAndRestore`, `CSVLogger`, `TensorBoard` (event
files written without TensorFlow), `TerminateOnNaN`, `LambdaCallback`.
mlkit extensions: `LiveTrainingPlot` and `plot_history` (training curves in
notebooks).
"""

from mlkit.callbacks.backup_and_restore import BackupAndRestore
from mlkit.callbacks.callback import Callback
from mlkit.callbacks.callback_list import CallbackList
from mlkit.callbacks.csv_logger import CSVLogger
from mlkit.callbacks.early_stopping import EarlyStopping
from mlkit.callbacks.history import History
from mlkit.callbacks.lambda_callback import LambdaCallback
from mlkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from mlkit.callbacks.live_training_plot import LiveTrainingPlot
from mlkit.callbacks.model_checkpoint import ModelCheckpoint
from mlkit.callbacks.progbar_logger import ProgbarLogger
from mlkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from mlkit.callbacks.tensorboard import TensorBoard
from mlkit.callbacks.terminate_on_nan import TerminateOnNaN
from mlkit.callbacks.training_plot import plot_history
