"""`mlkit.losses`: what `fit` minimizes.

    >>> from mlkit import losses
    >>> loss = losses.get("sparse_categorical_crossentropy")   # the function
    >>> loss.__name__
    'sparse_categorical_crossentropy'
    >>> losses.get("SparseCategoricalCrossentropy").from_logits  # an instance
    False

`resolve_loss(identifier, y_true, y_pred)` is what `compile(loss=...)` uses:
it also understands 'crossentropy'/'ce', choosing the binary, sparse or
categorical cross-entropy from the shapes of the data.

Modules: `loss` (the `Loss` base class, `LossFunctionWrapper`, and
`BuiltinLoss`, the base of the built-in loss classes),
`reduction` (sample weights, masks, reductions), `regression` (MSE, MAE,
Huber), `probabilistic` (the cross-entropies) and `crossentropy_ops` (their
fused autodiff nodes).
"""

import inspect

from mlkit.losses.loss import Loss, LossFunctionWrapper
from mlkit.losses.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from mlkit.losses.regression import (
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    huber,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
)

ALL_OBJECTS = (
    Loss,
    LossFunctionWrapper,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    Huber,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    huber,
)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
    }
)


def serialize(loss):
    """A loss object as a config dict; a built-in loss function as its name."""
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """The loss a config dict (or a name) describes."""
    if isinstance(name, str):
        found = (custom_objects or {}).get(name) or ALL_OBJECTS_DICT.get(name)
        if found is None:
            from mlkit.saving import get_registered_object

            found = get_registered_object(name)
        if found is None:
            raise ValueError(f"Unknown loss {name!r}. Known names: {', '.join(sorted(ALL_OBJECTS_DICT))}.")
        return found
    from mlkit.saving import deserialize_keras_object

    return deserialize_keras_object(
        name, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects, printable_module_name="loss"
    )


def get(identifier):
    """A loss from None, a name, a config dict, a `Loss` object or a function.

    Names of functions ('mse', 'huber', 'categorical_crossentropy') give the
    function; class names ('Huber') give a new instance with default arguments.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = ALL_OBJECTS_DICT.get(identifier)
        if found is None:
            raise ValueError(
                f"Could not interpret loss identifier: {identifier!r}. Use one of: "
                f"{', '.join(sorted(ALL_OBJECTS_DICT))}; or pass a Loss object or a function "
                "f(y_true, y_pred) returning one loss per sample."
            )
    else:
        found = identifier
    if callable(found):
        return found() if inspect.isclass(found) else found
    raise ValueError(
        f"Could not interpret loss identifier: {identifier!r} (of type {type(identifier).__name__}). "
        "Pass a name such as 'mse', a Loss object or a function f(y_true, y_pred)."
    )


def _shape(x):
    import numpy as np

    return np.shape(getattr(x, "data", x))


def is_binary_or_sparse_categorical(y_true, y_pred):
    """How Keras guesses the task from shapes, for 'accuracy' and 'crossentropy'.

    Binary: one output per sample (y_pred's last axis has size 1). Sparse
    categorical: y_true has fewer axes than y_pred, or a last axis of size 1
    against several outputs. Otherwise categorical (one-hot labels).
    """
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    true_last = true_shape[-1] if true_shape else None
    pred_last = pred_shape[-1] if pred_shape else None
    is_binary = pred_last == 1
    several_outputs = pred_last is not None and pred_last > 1
    is_sparse_categorical = len(true_shape) < len(pred_shape) or (true_last == 1 and several_outputs)
    return is_binary, is_sparse_categorical


def resolve_loss(identifier, y_true, y_pred):
    """The `Loss` object `compile(loss=identifier)` uses, as Keras 3 builds it.

    'crossentropy' or 'ce' (any case) picks binary, sparse categorical or
    categorical cross-entropy from the shapes of `y_true` and `y_pred`. Anything
    that is not a `Loss` object (a function, a name) is wrapped in a
    `LossFunctionWrapper` named after the string given, or after the function.
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse_categorical = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            loss = binary_crossentropy
        elif is_sparse_categorical:
            loss = sparse_categorical_crossentropy
        else:
            loss = categorical_crossentropy
    else:
        loss = get(identifier)
    if isinstance(loss, Loss):
        return loss
    if isinstance(identifier, str):
        name = identifier
    else:
        from mlkit.utils.naming import to_snake_case

        name = getattr(loss, "name", None) or to_snake_case(getattr(loss, "__name__", type(loss).__name__))
    return LossFunctionWrapper(loss, name=name)


__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
    "mse",
    "mae",
    "get",
    "serialize",
    "deserialize",
    "resolve_loss",
    "is_binary_or_sparse_categorical",
]
