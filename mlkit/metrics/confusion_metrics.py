"""Precision, recall and the confusion-matrix counts they are made of.

A prediction counts as positive when it is strictly greater than the
threshold (0.5 by default; use 0 for logits). With a list of thresholds,
every count, and the result, has one entry per threshold.

- precision = true positives / (true positives + false positives):
  of the samples called positive, how many are;
- recall = true positives / (true positives + false negatives):
  of the positive samples, how many were found.

`class_id` restricts a multi-class (or multi-label) prediction to one class;
`top_k` counts only the k highest predictions of each row as positive.

    >>> from mlkit import metrics
    >>> precision = metrics.Precision()
    >>> round(float(precision([0, 1, 1, 1], [1, 0, 1, 1])), 4)
    0.6667
"""

import numpy as np

from mlkit.losses.reduction import squeeze_or_expand_to_same_rank
from mlkit.metrics.metric import Metric
from mlkit.metrics.reduction_metrics import as_array
from mlkit.ops.tensor import Tensor

NEG_INF = -1e10  # the "threshold" that keeps exactly the top-k predictions positive


def parse_thresholds(owner, thresholds, default_threshold=0.5):
    """`thresholds` as a list of floats, each checked to lie in [0, 1]."""
    if thresholds is None:
        return [default_threshold]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    invalid = [t for t in values if t is None or not 0 <= t <= 1]
    if invalid:
        raise ValueError(f"{owner}: threshold values must be in [0, 1]; received {invalid}.")
    return [float(t) for t in values]


def _keep_top_k(y_pred, k):
    """Every prediction outside the k largest of its row replaced by NEG_INF."""
    order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(y_pred.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, y_pred, NEG_INF)


def confusion_counts(
    y_true, y_pred, thresholds, top_k=None, class_id=None, sample_weight=None, dtype="float32"
):
    """Weighted (true positives, false positives, true negatives, false negatives).

    Each is an array with one entry per threshold; every entry of y_true and
    y_pred is one binary decision (flattened over samples and classes).
    """
    y_true = as_array(y_true, dtype)
    y_pred = as_array(y_pred, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = np.expand_dims(as_array(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is given, y_pred must be 2-d with shape (num_samples, num_classes); "
                f"got shape {y_pred.shape}."
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; precision and "
            "recall need one 0/1 label per prediction."
        )
    if sample_weight is None:
        weights = np.ones(y_pred.size, dtype)
    else:
        weights = np.broadcast_to(sample_weight, y_pred.shape).ravel()
    is_positive = y_true.ravel().astype(bool)
    positive_weight = weights * is_positive
    negative_weight = weights * ~is_positive
    called_positive = (y_pred.ravel()[None, :] > np.asarray(thresholds, dtype)[:, None]).astype(dtype)
    true_positives = called_positive @ positive_weight
    false_positives = called_positive @ negative_weight
    false_negatives = positive_weight.sum() - true_positives
    true_negatives = negative_weight.sum() - false_positives
    return true_positives, false_positives, true_negatives, false_negatives


def _ratio(numerator, denominator):
    """numerator / denominator, with 0 where the denominator is 0."""
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0, numerator / safe)


class _ConfusionCount(Metric):
    """One count of the confusion matrix, per threshold: state `accumulator`."""

    _which = None  # index into (tp, fp, tn, fn)

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(type(self).__name__, thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight=sample_weight, dtype=self.accumulator.dtype
        )
        self.accumulator.assign(self.accumulator.data + counts[self._which])

    def result(self):
        value = self.accumulator.data
        return Tensor(np.array(value[0] if len(self.thresholds) == 1 else value))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of positive samples predicted positive."""

    _which = 0


class FalsePositives(_ConfusionCount):
    """The (weighted) number of negative samples predicted positive."""

    _which = 1


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of negative samples predicted negative."""

    _which = 2


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of positive samples predicted negative."""

    _which = 3


class _PrecisionRecall(Metric):
    """Shared by Precision and Recall: thresholds, top_k, class_id and two counts."""

    _second_count = None  # "false_positives" or "false_negatives"
    _direction = "up"  # callbacks with mode="auto" read it

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(type(self).__name__, thresholds, default_threshold=default)
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=size, initializer="zeros", name="true_positives")
        second = self.add_variable(shape=size, initializer="zeros", name=self._second_count)
        setattr(self, self._second_count, second)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, _, fn = confusion_counts(
            y_true,
            y_pred,
            self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
            dtype=self.true_positives.dtype,
        )
        second = getattr(self, self._second_count)
        self.true_positives.assign(self.true_positives.data + tp)
        second.assign(second.data + (fp if self._second_count == "false_positives" else fn))

    def result(self):
        true_positives = self.true_positives.data
        value = _ratio(true_positives, true_positives + getattr(self, self._second_count).data)
        value = value.astype(self.dtype)
        return Tensor(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self):
        config = {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}
        return {**super().get_config(), **config}


class Precision(_PrecisionRecall):
    """Of the predictions called positive, the fraction that are positive.

    States `true_positives` and `false_positives`, one entry per threshold.
    """

    _second_count = "false_positives"


class Recall(_PrecisionRecall):
    """Of the positive samples, the fraction predicted positive.

    States `true_positives` and `false_negatives`, one entry per threshold.
    """

    _second_count = "false_negatives"
