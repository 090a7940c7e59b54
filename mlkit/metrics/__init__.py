"""`mlkit.metrics`: numbers that report how well a model does, batch after batch.

    >>> from mlkit import metrics
    >>> accuracy = metrics.get("sparse_categorical_accuracy")
    >>> float(accuracy([0, 1], [[0.9, 0.1], [0.8, 0.2]]))
    0.5

`resolve_metric(identifier, y_true, y_pred)` is what `compile(metrics=[...])`
uses: it also understands 'accuracy'/'acc', choosing the binary, sparse or
categorical accuracy from the shapes of the data.

Modules: `metric` (the `Metric` base class), `reduction_metrics` (Sum,
Mean, MeanMetricWrapper), `accuracy_metrics`, `confusion_metrics`
(Precision, Recall and the counts), `regression_metrics` and
`probabilistic_metrics` (cross-entropies).
"""

import inspect

from mlkit.losses import is_binary_or_sparse_categorical
from mlkit.losses.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from mlkit.losses.regression import huber, mean_absolute_error, mean_squared_error
from mlkit.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from mlkit.metrics.confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from mlkit.metrics.metric import Metric
from mlkit.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from mlkit.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from mlkit.metrics.regression_metrics import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError
from mlkit.utils.naming import to_snake_case

ALL_OBJECTS = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    MeanAbsoluteError,
    RootMeanSquaredError,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    Precision,
    Recall,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
    }
)

# The per-sample functions a MeanMetricWrapper may wrap, by name (for loading configs).
FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        mean_squared_error,
        mean_absolute_error,
        huber,
    )
}


def serialize(metric):
    """A metric object as a config dict; a metric function as its name."""
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """The metric a config dict (or a name) describes."""
    if isinstance(config, str):
        found = (custom_objects or {}).get(config) or ALL_OBJECTS_DICT.get(config) or FUNCTIONS.get(config)
        if found is None:
            from mlkit.saving import get_registered_object

            found = get_registered_object(config)
        if found is None:
            known = ", ".join(sorted(ALL_OBJECTS_DICT))
            raise ValueError(f"Unknown metric {config!r}. Known names: {known}.")
        return found
    from mlkit.saving import deserialize_keras_object

    return deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects, printable_module_name="metric"
    )


def get(identifier):
    """A metric from None, a name ('mse', 'binary_accuracy', 'Precision'), a
    config dict, a `Metric` object or a function `f(y_true, y_pred)`.

    Names give a new `Metric` with default arguments. ('accuracy' gives
    `Accuracy`, exact equality; `compile` resolves it smarter, see
    `resolve_metric`.)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = ALL_OBJECTS_DICT.get(identifier)
        if found is None:
            raise ValueError(
                f"Could not interpret metric identifier: {identifier!r}. Use one of: "
                f"{', '.join(sorted(ALL_OBJECTS_DICT))}; or 'accuracy'/'acc' in compile(); or "
                "pass a Metric object or a function f(y_true, y_pred) returning one value per sample."
            )
    else:
        found = identifier
    if callable(found):
        return found() if inspect.isclass(found) else found
    raise ValueError(
        f"Could not interpret metric identifier: {identifier!r} (of type {type(identifier).__name__}). "
        "Pass a name such as 'mae', a Metric object or a function f(y_true, y_pred)."
    )


def _object_name(obj):
    """The name Keras gives an object in logs: its `name`, else its snake_case function/class name."""
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)


def resolve_metric(identifier, y_true, y_pred):
    """The `Metric` that `compile(metrics=[identifier])` tracks, as Keras 3 builds it.

    'accuracy' or 'acc' (any case) becomes BinaryAccuracy when y_pred has one
    output per sample, SparseCategoricalAccuracy when y_true holds integer
    labels (fewer axes than y_pred, or a last axis of 1 against several
    outputs), else CategoricalAccuracy. Other identifiers go through `get`;
    a plain function is wrapped in a MeanMetricWrapper. A string identifier
    becomes the metric's name, so the logs show what the user wrote.

        >>> import numpy as np
        >>> metric = resolve_metric("acc", np.zeros((4,)), np.zeros((4, 3)))
        >>> type(metric).__name__, metric.name
        ('SparseCategoricalAccuracy', 'acc')
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse_categorical = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            metric = BinaryAccuracy(name=str(identifier))
        elif is_sparse_categorical:
            metric = SparseCategoricalAccuracy(name=str(identifier))
        else:
            metric = CategoricalAccuracy(name=str(identifier))
    else:
        metric = get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    metric.name = name
    return metric


__all__ = sorted(
    [cls.__name__ for cls in ALL_OBJECTS]
    + list(FUNCTIONS)
    + ["get", "serialize", "deserialize", "resolve_metric"]
)
