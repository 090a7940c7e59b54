"""`LambdaCallback`: a callback made of plain functions, for quick jobs.

Pass a function for any hook, by the hook's name. The functions are called
the way `fit` calls the hooks: `on_epoch_begin(epoch, logs)`,
`on_epoch_end(epoch, logs)`, `on_train_begin(logs)`, `on_train_end(logs)`,
`on_train_batch_begin(batch, logs)`, `on_train_batch_end(batch, logs)`
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
from mlkit.utils.arguments import check_callable_with

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
            parameters = _parameters_of(name)
            call_text = f"{name}({', '.join(parameters)})"
            check_callable_with(
                "LambdaCallback", name, function, [0] * (len(parameters) - 1) + [{}], call_text,
                f"{name}=lambda {', '.join(parameters)}: ...",
            )
            if "batch" in parameters:
                # fit passes the batch hooks' logs by keyword; the function may name it as it likes.
                function = _with_positional_logs(function)
            setattr(self, name, function)


def _parameters_of(hook):
    """The arguments `fit` calls a hook with: (epoch, logs), (batch, logs) or (logs)."""
    if "batch" in hook:
        return ("batch", "logs")
    if "epoch" in hook:
        return ("epoch", "logs")
    return ("logs",)


def _with_positional_logs(function):
    def hook(batch, logs=None):
        return function(batch, logs)

    return hook
