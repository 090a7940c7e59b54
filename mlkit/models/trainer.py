"""The training API every model has: compile, fit, evaluate, predict.

`fit` is a plain loop you can read top to bottom: for each epoch, for each
batch, `train_step(batch)` — forward pass under a `GradientTape`, loss,
gradients, one optimizer step — with callbacks called around it. Override
`train_step`, `test_step` or `predict_step` to change what happens inside.
A `train_step` you write runs with ops recorded (`ops.enable_grad`), so it
may also be written torch-style: `self.zero_grad()`, `loss.backward()`, then
the gradients `v.value.grad`, as on Keras's torch backend.

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test)
"""

import functools
import warnings

import numpy as np

from mlkit.callbacks.callback_list import CallbackList
from mlkit.models.compile_utils import CompiledLoss, CompiledMetrics
from mlkit.models.data_adapter import (
    class_weights_to_sample_weights,
    make_batches,
    pack_batch,
    split_validation,
    unpack_batch,
)
from mlkit.models.metrics_logs import MetricsLogs, pythonify_logs
from mlkit.models.training_arguments import check_compile_arguments, check_fit_arguments, check_targets_given
from mlkit.models.traced_step import TracedStep
from mlkit.ops.autodiff import GradientTape, enable_grad, no_recording
from mlkit.ops.math import add_n, sum as reduce_sum
from mlkit.ops.core import zeros
from mlkit.utils.tree import flatten


class Trainer:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "train_step" in cls.__dict__:
            cls.train_step = _recording(cls.__dict__["train_step"])

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compiled_loss = None
        self._compiled_metrics = None
        self._loss_tracker = None
        self._compile_count = 0
        self.jit_compile = False
        self.traced_step = None

    # -- compile --------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Choose the optimizer, the loss and the metrics for training.

        mlkit extension: `jit_compile=True` makes `fit` trace the training step
        on the first batch and replay it for the next ones (see
        mlkit/models/traced_step.py); the default "auto" trains eagerly.
        """
        from mlkit import metrics as metrics_module
        from mlkit import optimizers

        names = self._output_names()
        check_compile_arguments(names, loss, loss_weights, metrics, weighted_metrics)
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._compiled_loss = CompiledLoss(loss, loss_weights, names) if loss is not None else None
        has_metrics = metrics is not None or weighted_metrics is not None
        self._compiled_metrics = CompiledMetrics(metrics, weighted_metrics, names) if has_metrics else None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_count += 1
        if jit_compile is True and run_eagerly:
            warnings.warn(
                "If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling `jit_compile`.",
                stacklevel=2,
            )
        self.jit_compile = jit_compile is True and not run_eagerly
        self.traced_step = TracedStep(self) if self.jit_compile else None
        self.compiled = True

    def _output_names(self):
        return ["output"]

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {what}(): e.g. "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')."
            )

    # -- metrics --------------------------------------------------------------
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, and metrics kept as attributes."""
        return list(self._cached(("metrics", self.compiled), self._collect_metrics))

    def _collect_metrics(self):
        from mlkit.metrics import Metric

        found = []
        if self.compiled:
            found.append(self._loss_tracker)
            if self._compiled_metrics is not None:
                found.append(self._compiled_metrics)
        for layer in self._flatten_layers():
            for value in vars(layer).values():
                if isinstance(value, Metric) and not any(value is m for m in found):
                    found.append(value)
        return found

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """The current value of every metric, as a flat dict of floats."""
        return pythonify_logs({m.name: m.result() for m in self.metrics})

    # -- one step -------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus every loss in `self.losses` (add_loss, regularizers)."""
        total = None
        if self._compiled_loss is not None and y is not None:
            total = self._compiled_loss(y, y_pred, sample_weight)
        extra = self.losses
        if extra:
            extra_total = add_n([reduce_sum(loss) for loss in extra])
            total = extra_total if total is None else total + extra_total
        if total is None:
            if self._compiled_loss is None and not extra:
                raise ValueError(
                    "No loss to optimize: compile() was called without `loss`, and the model "
                    "adds none with add_loss(). Pass loss=... to compile()."
                )
            total = zeros(())
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; return all metric values.

        The values are computed when first read (see MetricsLogs), so a step
        whose logs nobody looks at does not pay for them.
        """
        if self._compiled_metrics is not None and y is not None:
            with no_recording():
                self._compiled_metrics.update_state(y, y_pred, sample_weight)
        return MetricsLogs(self)

    def _batch_size_of(self, x):
        if isinstance(x, np.ndarray) and x.ndim:
            return x.shape[0]  # one array, the usual batch: no need to walk a structure
        leaves = [leaf for leaf in flatten(x) if hasattr(leaf, "shape") and len(leaf.shape)]
        return leaves[0].shape[0] if leaves else 1

    def train_step(self, data):
        """One optimizer step on one batch; returns the metric values."""
        x, y, sample_weight = unpack_batch(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        self._loss_tracker.update_state(loss, sample_weight=self._batch_size_of(x))
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply(gradients, variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics on one batch, without training."""
        x, y, sample_weight = unpack_batch(data)
        with no_recording():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=self._batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output on one batch."""
        x, _, _ = unpack_batch(data)
        with no_recording():
            return self(x, training=False)

    # -- loops ----------------------------------------------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for `epochs` passes over the data; returns a `History`."""
        self._assert_compiled("fit")
        epochs, initial_epoch = check_fit_arguments(
            self, x, y, epochs, initial_epoch, class_weight,
            {"steps_per_epoch": steps_per_epoch, "validation_steps": validation_steps}, validation_freq,
        )
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight, validation_split)
        if class_weight is not None:
            weights = class_weights_to_sample_weights(y, class_weight)
            sample_weight = weights if sample_weight is None else weights * np.asarray(sample_weight)
        data = make_batches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=data.steps,
        )
        self.stop_training = False
        self._initial_epoch = None  # a callback may set it in on_train_begin (BackupAndRestore)
        callback_list.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        epoch_logs = logs = {}
        train_step = self.traced_step or self.train_step
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            for step, batch in enumerate(data.batches()):
                callback_list.on_train_batch_begin(step)
                logs = train_step(batch)
                if not isinstance(logs, MetricsLogs):
                    logs = pythonify_logs(logs)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            # As in Keras: sorted by name, then the validation results (sorted too).
            epoch_logs = dict(sorted(_metrics_result_or_logs(self, logs).items()))
            if validation_data is not None and _should_validate(epoch, validation_freq):
                val_x, val_y, val_weight = _unpack_validation(validation_data)
                val_logs = self.evaluate(
                    val_x, val_y, sample_weight=val_weight,
                    batch_size=validation_batch_size or batch_size, steps=validation_steps,
                    callbacks=callback_list, return_dict=True, verbose=0,
                )
                epoch_logs.update((f"val_{name}", value) for name, value in sorted(val_logs.items()))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        if hasattr(self.optimizer, "finalize_variable_values"):
            # With use_ema=True the weights become their moving averages now.
            self.optimizer.finalize_variable_values(self.trainable_variables)
        callback_list.on_train_end(epoch_logs)
        self.history = callback_list.history
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None, callbacks=None, return_dict=False):
        """Loss and metrics over the data (a float, or a list in `metrics_names` order)."""
        self._assert_compiled("evaluate")
        check_targets_given(self, x, y, "evaluate")
        data = make_batches(x, y, sample_weight, batch_size, False, steps)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=data.steps,
        )
        self.reset_metrics()
        self.stop_evaluating = False
        callback_list.on_test_begin()
        logs = {}
        for step, batch in enumerate(data.batches()):
            callback_list.on_test_batch_begin(step)
            logs = self.test_step(batch)
            if not isinstance(logs, MetricsLogs):
                logs = pythonify_logs(logs)
            callback_list.on_test_batch_end(step, logs)
            if self.stop_evaluating:
                break
        results = _metrics_result_or_logs(self, logs)
        logs = dict(sorted(results.items()))  # as Keras: sorted by name (the list keeps metric order)
        callback_list.on_test_end(logs)
        return logs if return_dict else _flatten_logs(results)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for every sample, as NumPy arrays."""
        data = make_batches(x, None, None, batch_size, False, steps)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=data.steps,
        )
        self.stop_predicting = False
        callback_list.on_predict_begin()
        outputs = []
        for step, batch in enumerate(data.batches()):
            callback_list.on_predict_batch_begin(step)
            batch_outputs = self.predict_step(batch)
            outputs.append(_to_numpy(batch_outputs))
            callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
            if self.stop_predicting:
                break
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data: x is empty.")
        return _concatenate(outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on exactly this batch."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            weights = class_weights_to_sample_weights(y, class_weight)
            sample_weight = weights if sample_weight is None else weights * np.asarray(sample_weight)
        logs = pythonify_logs(self.train_step(pack_batch(x, y, sample_weight)))
        return logs if return_dict else _flatten_logs(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on exactly this batch (metrics reset first)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        logs = pythonify_logs(self.test_step(pack_batch(x, y, sample_weight)))
        return logs if return_dict else _flatten_logs(logs)

    def predict_on_batch(self, x):
        return _to_numpy(self.predict_step((x,)))


def _recording(train_step):
    """Run a custom train_step with ops recorded, as torch records them by default,
    so that `loss.backward()` inside it finds the graph (whoever calls it)."""

    @functools.wraps(train_step)
    def recorded_train_step(self, data):
        with enable_grad():
            return train_step(self, data)

    return recorded_train_step


def _metrics_result_or_logs(model, logs):
    """The metrics' results, or, as Keras does, the last step's logs when a
    custom train_step/test_step returned other names than the metrics'."""
    results = model.get_metrics_result()
    if isinstance(logs, MetricsLogs) or set(logs) == set(results):
        return results
    return dict(logs)


def _should_validate(epoch, validation_freq):
    """validation_freq: every n-th epoch (an int) or the epochs listed (from 1)."""
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(
        "Expected `validation_freq` to be a list or int. "
        f"Received: validation_freq={validation_freq!r} of the type {type(validation_freq).__name__}."
    )


def _unpack_validation(validation_data):
    if isinstance(validation_data, tuple) and len(validation_data) in (2, 3):
        return validation_data if len(validation_data) == 3 else (*validation_data, None)
    given = f"a {type(validation_data).__name__}"
    if isinstance(validation_data, (tuple, list)):
        given += f" of {len(validation_data)} item{'s' if len(validation_data) != 1 else ''}"
    raise ValueError(
        "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), "
        f"got {given}. Pass e.g. validation_data=(x_val, y_val)."
    )


def _flatten_logs(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _to_numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [_to_numpy(o) for o in outputs]
    if isinstance(outputs, dict):
        return {key: _to_numpy(o) for key, o in outputs.items()}
    return np.asarray(getattr(outputs, "data", outputs))


def _concatenate(batches):
    first = batches[0]
    if isinstance(first, list):
        return [np.concatenate([b[i] for b in batches]) for i in range(len(first))]
    if isinstance(first, dict):
        return {key: np.concatenate([b[key] for b in batches]) for key in first}
    return np.concatenate(batches)
