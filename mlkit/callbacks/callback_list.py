"""`CallbackList`: calls one hook on every callback, in order.

`fit` builds one with the user's callbacks, plus `ProgbarLogger` (when
verbose, first) and `History` (always, last), and calls its hooks. If a
callback raises, the error says which callback and which hook failed.
"""

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.history import History
from mlkit.callbacks.progbar_logger import ProgbarLogger

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class CallbackError(RuntimeError):
    """A user callback raised: names the callback and the hook."""


class CallbackList(Callback):
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be mlkit.callbacks.Callback instances, got "
                    f"{type(callback).__name__}. Subclass Callback, or wrap a function in "
                    "callbacks.LambdaCallback."
                )
        # As in Keras: the progress bar goes first (so it prints before user
        # callbacks print), History last (so it records the final logs).
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self._model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            try:
                getattr(callback, hook)(*args)
            except CallbackError:
                raise
            except Exception as error:
                raise CallbackError(
                    f"The callback {type(callback).__name__} raised {type(error).__name__} in "
                    f"{hook}(): {error}"
                ) from error


def _make_hook(name):
    def hook(self, *args):
        self._call(name, *args)

    hook.__name__ = name
    return hook


for _name in _HOOKS:
    setattr(CallbackList, _name, _make_hook(_name))
