"""The checks `compile`, `fit` and `evaluate` make on their arguments, once per call.

A typo in a loss name, `epochs="3"` or a `class_weight` keyed by strings
should stop at the line that made it, with a message that says what to
write instead, not surface later from inside the training loop (or never:
`epochs=-1` used to train nothing and return an empty history). Nothing
here runs per batch.

    >>> import mlkit
    >>> model = mlkit.Sequential([mlkit.Input(shape=(3,)), mlkit.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="msee")
    Traceback (most recent call last):
    ...
    ValueError: compile(): unknown loss 'msee'. Use one of: ... or pass a Loss object or a function f(y_true, y_pred) ...
"""

import numpy as np

from mlkit.utils.arguments import check_integer

# Names that compile() resolves from the data's shapes at the first batch.
_SHAPE_DEPENDENT_LOSSES = ("crossentropy", "ce")
_SHAPE_DEPENDENT_METRICS = ("accuracy", "acc", "crossentropy", "ce")


def _leaves(argument):
    """The entries of a loss/metrics argument given as one value, a list or a dict, nested."""
    if isinstance(argument, dict):
        return [leaf for value in argument.values() for leaf in _leaves(value)]
    if isinstance(argument, (list, tuple)):
        return [leaf for value in argument for leaf in _leaves(value)]
    return [argument]


def check_compile_arguments(output_names, loss, loss_weights, metrics, weighted_metrics):
    """Refuse, at compile time, what would otherwise fail at the first batch of fit."""
    from mlkit import losses
    from mlkit import metrics as metrics_module

    for identifier in _leaves(loss):
        if isinstance(identifier, str) and identifier.lower() not in _SHAPE_DEPENDENT_LOSSES:
            try:
                losses.get(identifier)
            except ValueError as error:
                message = str(error).replace(f"Could not interpret loss identifier: {identifier!r}.", "")
                raise ValueError(f"compile(): unknown loss {identifier!r}.{message}") from None
    for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        if value is not None and not isinstance(value, (list, tuple, dict)):
            raise ValueError(
                f"compile(): expected `{argument}` to be a list, tuple or dict, got "
                f"{argument}={value!r} of type {type(value).__name__}. Wrap it in a list: "
                f"{argument}=[{value!r}]."
            )
        for identifier in _leaves(value) if value is not None else []:
            if isinstance(identifier, str) and identifier.lower() not in _SHAPE_DEPENDENT_METRICS:
                metrics_module.get(identifier)  # raises a ValueError listing the known names
    if isinstance(loss_weights, (list, tuple)) and len(loss_weights) != len(output_names):
        raise ValueError(
            f"compile(): `loss_weights` must have one weight per output: the model has "
            f"{len(output_names)} output(s) {output_names} but got {len(loss_weights)} weights "
            f"{list(loss_weights)}. For a single output, pass loss_weights=[w] (or leave it out)."
        )
    for weight in _leaves(loss_weights) if loss_weights is not None else []:
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float, np.number))):
            raise ValueError(
                f"compile(): every entry of `loss_weights` must be a number, got {weight!r} "
                f"(of type {type(weight).__name__}) in loss_weights={loss_weights!r}."
            )


def check_epochs(epochs, initial_epoch):
    """`epochs` and `initial_epoch` as ints, with a clear error for anything else."""
    epochs = check_integer(
        "fit()", "epochs", epochs, at_least=1, hint="It is the number of passes over the data, e.g. epochs=10."
    )
    initial_epoch = check_integer("fit()", "initial_epoch", initial_epoch, at_least=0)
    if initial_epoch > epochs:
        raise ValueError(
            f"fit(): initial_epoch={initial_epoch} is beyond epochs={epochs}, so there is no epoch "
            "to train: `epochs` is the index of the last epoch (+1), not the number of new epochs. "
            f"To train {epochs} more epochs, pass epochs={initial_epoch + epochs}."
        )
    return epochs, initial_epoch


def check_fit_arguments(model, x, y, epochs, initial_epoch, class_weight, steps, validation_freq):
    """Everything fit() checks before the first batch; returns (epochs, initial_epoch) as ints.

    `steps` maps "steps_per_epoch" and "validation_steps" to their values.
    """
    epochs, initial_epoch = check_epochs(epochs, initial_epoch)
    for argument, value in steps.items():
        if value is not None:
            check_integer("fit()", argument, value, at_least=1, hint="Leave it None to use all the data.")
    check_validation_freq(validation_freq)
    check_class_weight(class_weight)
    check_targets_given(model, x, y, "fit")
    return epochs, initial_epoch


def check_validation_freq(validation_freq):
    """An int n >= 1 (every n-th epoch) or a collection of epoch numbers (from 1)."""
    if isinstance(validation_freq, (list, tuple, set)):
        for epoch in validation_freq:
            check_integer("fit()", "validation_freq", epoch, at_least=1,
                          hint="A list names the epochs to validate after, counted from 1.")
        return
    check_integer("fit()", "validation_freq", validation_freq, at_least=1,
                  hint="validation_freq=2 validates after every second epoch.")


def check_class_weight(class_weight):
    """`class_weight` must map integer class ids to numbers."""
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise ValueError(
            f"fit(): `class_weight` must be a dict mapping class ids to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}; got a {type(class_weight).__name__}: {class_weight!r}."
        )
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            hint = f" Write {int(key)} instead of {key!r}." if isinstance(key, str) and key.isdigit() else ""
            raise ValueError(
                f"fit(): the keys of `class_weight` must be class ids (integers >= 0), got the key "
                f"{key!r} (of type {type(key).__name__}) in class_weight={class_weight!r}.{hint}"
            )
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)):
            raise ValueError(
                f"fit(): every weight in `class_weight` must be a number, got {weight!r} for class {key}."
            )


def check_targets_given(model, x, y, what):
    """A model compiled with a loss needs `y` when it is fed arrays (not batches that carry it)."""
    from mlkit.models.trainer import Trainer

    if y is not None or model._compiled_loss is None or x is None:
        return
    if not _is_arrays(x):
        return  # a generator or dataset yields (x, y) itself
    custom = {"train_step", "test_step", "compute_loss"}
    if any(getattr(type(model), name) is not getattr(Trainer, name) for name in custom):
        return  # the model decides itself what it needs
    raise ValueError(
        f"{what}(): the model was compiled with a loss (loss={model.loss!r}), which compares "
        f"predictions with targets, but no targets were given. Pass them: model.{what}(x, y, ...). "
        "For predictions only, use model.predict(x)."
    )


def _is_arrays(x):
    if isinstance(x, (np.ndarray, list, dict, tuple)):
        return True
    return hasattr(x, "shape") and hasattr(x, "data")
