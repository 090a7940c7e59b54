"""`TerminateOnNaN`: stop training as soon as the loss becomes NaN or infinite.

After every training batch it checks `logs["loss"]`. By default it prints a
message and sets `model.stop_training`, so training ends normally (every
callback's `on_train_end` still runs). With `raise_error=True` it raises a
`RuntimeError` at once instead, skipping `on_train_end` (so, for instance,
a `BackupAndRestore` backup is kept for a later run).

    >>> from mlkit import callbacks
    >>> guard = callbacks.TerminateOnNaN()
    >>> # model.fit(x, y, callbacks=[guard])   # "Batch 7: Invalid loss, terminating training"
"""

import math

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.monitor_callback import as_number


class TerminateOnNaN(Callback):
    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = as_number(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
