"""`CallbackList`: calls one hook on every callback, in order.

`fit` builds one from your callbacks and appends `History` (always) and
`ProgbarLogger` (when `verbose` is not 0), in that order, as Keras does: a
callback of yours that adds to `logs` (the learning rate, say) runs before
`History` records them and before the progress bar prints them. (mlkit: a
`BackupAndRestore` is moved right after `History`, so that its backup holds
the epoch's complete state.)

    >>> from mlkit import callbacks
    >>> seen = []
    >>> hooks = callbacks.CallbackList(
    ...     [callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs))],
    ...     add_history=True)
    >>> hooks.on_epoch_end(0, {"loss": 0.5})
    >>> seen, [type(c).__name__ for c in hooks.callbacks]
    ([{'loss': 0.5}], ['LambdaCallback', 'History'])

Every hook receives a dict (a new empty one when the loop passes none).
The batch-end logs are passed on as the loop made them: `fit` computes
their values only when a callback reads them.

If a callback raises, the error keeps its type (a `ValueError` stays a
`ValueError`) and gains a note naming the callback and the hook, which
Python and Jupyter print under the error message.

Speed: a hook call runs only the callbacks that override that hook (found
once per list of callbacks), so with nothing to do a hook costs well under a
microsecond. Add callbacks with `append` (or by changing `callbacks`; the
list is looked at again when its length changes).
"""

from mlkit.callbacks.backup_and_restore import BackupAndRestore
from mlkit.callbacks.callback import Callback
from mlkit.callbacks.history import History
from mlkit.callbacks.progbar_logger import ProgbarLogger

# The hooks a training-batch hook forwards to in the base class.
_LEGACY_NAMES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    """Whether calling `hook` on `callback` could do anything."""
    if hook in getattr(callback, "__dict__", ()):  # e.g. LambdaCallback's functions
        return True
    if getattr(type(callback), hook, None) is not getattr(Callback, hook):
        return True
    legacy = _LEGACY_NAMES.get(hook)
    return legacy is not None and _overrides(callback, legacy)


def _describe_call(hook, args):
    if not args:
        return f"{hook}()"
    index_name = "epoch" if "epoch" in hook else "batch"
    return f"{hook}({index_name}={args[0]})"


class CallbackList(Callback):
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = []
        for callback in _as_list(callbacks):
            self.append(callback)
        self._handlers = {}
        self._handlers_list = None
        self._handlers_count = -1
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if self._history is not None:
            self._move_backups_after_history()

    def _move_backups_after_history(self):
        # (mlkit) A backup must hold the epoch's complete state: what the other
        # callbacks change at the end of an epoch, and the epoch's logs as
        # History records them. So BackupAndRestore runs right after History.
        backups = [c for c in self.callbacks if isinstance(c, BackupAndRestore)]
        if not backups:
            return
        others = [c for c in self.callbacks if not isinstance(c, BackupAndRestore)]
        place = others.index(self._history) + 1
        self.callbacks[:] = others[:place] + backups + others[place:]

    @property
    def history(self):
        """The `History` callback in this list (None if there is none)."""
        return self._history

    def append(self, callback):
        if not isinstance(callback, Callback):
            raise TypeError(
                f"callbacks must be mlkit.callbacks.Callback instances, got "
                f"{type(callback).__name__}: {callback!r}. Subclass Callback, or wrap a "
                "function in callbacks.LambdaCallback(on_epoch_end=...)."
            )
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    # -- calling the hooks ------------------------------------------------------
    def _handlers_for(self, hook):
        """(callback, bound hook) for every callback that overrides `hook`."""
        callbacks = self.callbacks
        if callbacks is not self._handlers_list or len(callbacks) != self._handlers_count:
            self._handlers = {}
            self._handlers_list, self._handlers_count = callbacks, len(callbacks)
        handlers = self._handlers.get(hook)
        if handlers is None:
            handlers = tuple((c, getattr(c, hook)) for c in callbacks if _overrides(c, hook))
            self._handlers[hook] = handlers
        return handlers

    def _call(self, hook, handlers, args, logs, logs_by_keyword):
        for callback, method in handlers:
            try:
                if logs_by_keyword:
                    method(*args, logs=logs)
                else:
                    method(*args, logs)
            except Exception as error:
                error.add_note(
                    f"(raised by the callback {type(callback).__name__} in "
                    f"{_describe_call(hook, args)})"
                )
                raise

    def _hook(self, hook, args, logs, logs_by_keyword=False):
        handlers = self._handlers_for(hook)
        if handlers:
            # `is None`, not `or`: testing a lazy logs mapping would compute it.
            self._call(hook, handlers, args, {} if logs is None else logs, logs_by_keyword)

    # Keras passes `logs` by keyword to the batch hooks, by position to the others.
    def on_train_begin(self, logs=None):
        self._hook("on_train_begin", (), logs)

    def on_train_end(self, logs=None):
        self._hook("on_train_end", (), logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._hook("on_epoch_begin", (epoch,), logs)

    def on_epoch_end(self, epoch, logs=None):
        self._hook("on_epoch_end", (epoch,), logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._hook("on_train_batch_begin", (batch,), logs, True)

    def on_train_batch_end(self, batch, logs=None):
        self._hook("on_train_batch_end", (batch,), logs, True)

    def on_batch_begin(self, batch, logs=None):
        self._hook("on_batch_begin", (batch,), logs, True)

    def on_batch_end(self, batch, logs=None):
        self._hook("on_batch_end", (batch,), logs, True)

    def on_test_begin(self, logs=None):
        self._hook("on_test_begin", (), logs)

    def on_test_end(self, logs=None):
        self._hook("on_test_end", (), logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._hook("on_test_batch_begin", (batch,), logs, True)

    def on_test_batch_end(self, batch, logs=None):
        self._hook("on_test_batch_end", (batch,), logs, True)

    def on_predict_begin(self, logs=None):
        self._hook("on_predict_begin", (), logs)

    def on_predict_end(self, logs=None):
        self._hook("on_predict_end", (), logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._hook("on_predict_batch_begin", (batch,), logs, True)

    def on_predict_batch_end(self, batch, logs=None):
        self._hook("on_predict_batch_end", (batch,), logs, True)


def _as_list(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    flat = []
    for item in callbacks:
        flat.extend(_as_list(item) if isinstance(item, (list, tuple)) else [item])
    return flat
