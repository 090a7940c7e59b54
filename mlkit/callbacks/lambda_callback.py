"""`LambdaCallback`: a callback made of plain functions, for quick jobs.

Pass a function for any hook, by the hook's name. The functions are called
the way `fit` calls the hooks: `on_epoch_begin(epoch, logs)`,
`on_epoch_end(epoch, logs)`, `on_train_begin(logs)`, `on_train_end(logs)`,
`on_train_batch_begin(batch, logs=...)`, `on_train_batch_end(batch, logs=...)`
and, as keyword arguments, any other hook (`on_test_end=...`, ...).

    >>> from mlkit import callbacks
    >>> losses = []
    >>> record = callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    >>> record.on_epoch_end(0, {"loss": 0.25})
    >>> losses
    [0.25]
"""

from mlkit.callbacks.callback import Callback

_HOOK_NAMES = frozenset(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        unknown = sorted(set(kwargs) - _HOOK_NAMES)
        if unknown:
            raise TypeError(
                f"LambdaCallback got unknown hook name(s) {unknown}. The hooks are: "
                f"{', '.join(sorted(_HOOK_NAMES))}."
            )
        hooks = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {type(function).__name__}.")
            setattr(self, name, function)
