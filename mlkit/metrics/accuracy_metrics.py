"""Accuracy metrics: how often the prediction is right.

Each is a function giving 1.0 or 0.0 per sample, and a `MeanMetricWrapper`
class that averages it over everything seen:

- `accuracy`: y_pred equals y_true exactly (for already-decided labels);
- `binary_accuracy`: y_pred > threshold equals the 0/1 label;
- `categorical_accuracy`: argmax(y_pred) equals argmax of the one-hot label;
- `sparse_categorical_accuracy`: argmax(y_pred) equals the integer label;
- `top_k_categorical_accuracy` / `sparse_top_k_...`: the label is among the
  k highest predictions (ties count in the label's favour).

    >>> from mlkit import metrics
    >>> metric = metrics.SparseCategoricalAccuracy()
    >>> float(metric([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]))
    0.5
"""

import numpy as np

from mlkit import backend
from mlkit.losses.reduction import squeeze_or_expand_to_same_rank
from mlkit.metrics.reduction_metrics import MeanMetricWrapper, as_array
from mlkit.ops.tensor import Tensor
from mlkit.utils.arguments import check_integer


def _matches(equal):
    return Tensor(np.asarray(equal, dtype=backend.floatx()))


def accuracy(y_true, y_pred):
    """1.0 where y_pred equals y_true, averaged over the last axis."""
    y_pred = as_array(y_pred)
    y_true = as_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(np.mean(y_true == y_pred, axis=-1))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where (y_pred > threshold) equals the 0/1 label, averaged over the last axis."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(as_array(y_true), as_array(y_pred))
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return _matches(np.mean(y_true == predicted, axis=-1))


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot labels)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_accuracy: y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}; it needs one-hot labels of y_pred's shape. For integer labels "
            "use sparse_categorical_accuracy."
        )
    return _matches(np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1))


def _sparse_labels(function_name, y_true, y_pred):
    labels = as_array(y_true)
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"{function_name}: y_true has shape {as_array(y_true).shape} and y_pred has shape "
            f"{y_pred.shape}; y_true must hold one integer class id per row of y_pred "
            f"(shape {y_pred.shape[:-1]}). For one-hot labels use the categorical version."
        )
    return labels


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label y_true."""
    y_pred = as_array(y_pred)
    labels = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    return _matches(labels == y_pred.argmax(axis=-1))


def in_top_k(targets, predictions, k):
    """Whether each target class is among the k largest predictions of its row.

    A class's rank is 1 + the number of classes with a strictly larger
    prediction, so ties at the k-th place count as inside the top k.
    """
    at_target = np.take_along_axis(predictions, targets[..., None].astype(np.intp), axis=-1)
    at_target = np.where(np.isnan(at_target), -np.inf, at_target)
    rank = 1 + np.sum(predictions > at_target, axis=-1)
    return rank <= k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the k largest predictions."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    targets = np.argmax(y_true, axis=-1)
    matches = in_top_k(targets.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return _matches(matches.reshape(targets.shape))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the k largest predictions."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    matches = in_top_k(y_true.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return _matches(matches.reshape(y_true.shape))


class _AccuracyMetric(MeanMetricWrapper):
    """Accuracies should go up: callbacks with mode="auto" read `_direction`."""

    _direction = "up"


class Accuracy(_AccuracyMetric):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(_AccuracyMetric):
    """How often (y_pred > threshold) matches the 0/1 labels."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(
                f"BinaryAccuracy: `threshold` must be in the open interval (0, 1), got {threshold!r}."
            )
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(_AccuracyMetric):
    """How often argmax(y_pred) matches one-hot labels (logits work too)."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(_AccuracyMetric):
    """How often argmax(y_pred) matches integer labels (logits work too)."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


_K_HINT = "It is how many of the highest predictions may hold the label, e.g. k=5."


class TopKCategoricalAccuracy(_AccuracyMetric):
    """How often the one-hot label is among the `k` highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = check_integer(type(self).__name__, "k", k, at_least=1, hint=_K_HINT)
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(_AccuracyMetric):
    """How often the integer label is among the `k` highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        k = check_integer(type(self).__name__, "k", k, at_least=1, hint=_K_HINT)
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}
