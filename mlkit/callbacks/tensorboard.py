"""`TensorBoard`: log training curves (and weight histograms) for TensorBoard.

    from mlkit import callbacks
    board = callbacks.TensorBoard(log_dir="./logs")
    model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[board])
    # then, in a shell: tensorboard --logdir ./logs

As in Keras, `log_dir/train` receives `epoch_loss`, `epoch_<metric>` and
`epoch_learning_rate` at every epoch (step = epoch), `log_dir/validation` the
validation values under the same names, plus `evaluation_<name>_vs_iterations`
(step = the optimizer's iteration count) after every evaluation.
`update_freq="batch"` or `n` adds `batch_<name>` every n batches;
`histogram_freq=n` adds a histogram of every weight every n epochs;
`write_steps_per_second=True` logs the training speed.

mlkit writes the event files itself (see `event_file.py`): no TensorFlow is
needed, only TensorBoard to look at them. Not supported: `write_images`,
embeddings and profiling (`profile_batch` must be 0, as with Keras's NumPy
backend); the model graph is not written either (`write_graph` is accepted
and ignored, as in Keras 3). Histogram tags use the weight's path
(`dense/kernel/histogram`), so that two layers' kernels do not share a tag.
"""

import os
import time
import warnings

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.event_file import EventFileWriter
from mlkit.callbacks.monitor_callback import as_number


class TensorBoard(Callback):
    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        if profile_batch:
            raise ValueError(
                "Profiling is not available in mlkit. Received: "
                f"profile_batch={profile_batch} (must be 0)"
            )
        if update_freq != "epoch" and update_freq != "batch" and not (
            isinstance(update_freq, int) and update_freq > 0
        ):
            raise ValueError(f"update_freq must be 'epoch', 'batch' or a positive integer, got {update_freq!r}.")
        for name, value in (("write_images", write_images), ("embeddings_freq", embeddings_freq)):
            if value:
                warnings.warn(f"TensorBoard: {name} is not supported by mlkit and is ignored.", stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._epoch_start = (0.0, 0)
        self._batch_start_time = 0.0

    def _writer(self, which):
        """The event file of `log_dir/train` or `log_dir/validation`, made on first use."""
        if which not in self._writers:
            self._writers[which] = EventFileWriter(os.path.join(self.log_dir, which))
        return self._writers[which]

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(as_number(optimizer.iterations)) if optimizer is not None else 0

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-9), step)
        for name, value in (logs or {}).items():
            writer.add_scalar("batch_" + name, as_number(value), step)

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1

    def on_test_end(self, logs=None):
        if getattr(self.model, "optimizer", None) is None:
            return
        writer, step = self._writer("validation"), self._iterations()
        for name, value in (logs or {}).items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", as_number(value), step)
        writer.flush()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self._iterations())

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {name: value for name, value in logs.items() if not name.startswith("val_")}
        validation = {name[4:]: value for name, value in logs.items() if name.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = as_number(optimizer.learning_rate)
        if self.write_steps_per_second:
            started, iterations = self._epoch_start
            train["steps_per_second"] = (self._iterations() - iterations) / max(time.perf_counter() - started, 1e-9)
        for which, values in (("train", train), ("validation", validation)):
            if values:
                writer = self._writer(which)
                for name, value in values.items():
                    writer.add_scalar("epoch_" + name, as_number(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            for weight in self.model.weights:
                writer.add_histogram(f"{weight.path}/histogram", weight.numpy(), epoch)
        for writer in self._writers.values():
            writer.flush()
