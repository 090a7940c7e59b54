"""Cross-entropy losses: binary, categorical (one-hot labels), sparse (integer labels).

Which one? One sigmoid output per sample: binary. A softmax over classes
with one-hot labels: categorical. The same with integer labels: sparse
categorical. Pass `from_logits=True` when the model's last layer has no
activation: it is faster and numerically safer than a softmax/sigmoid layer.

    >>> from mlkit import losses
    >>> y_true, y_pred = [1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    >>> [round(v, 4) for v in losses.sparse_categorical_crossentropy(y_true, y_pred).numpy().tolist()]
    [0.0513, 2.3026]
    >>> round(float(losses.SparseCategoricalCrossentropy()(y_true, y_pred)), 4)
    1.1769
"""

import warnings

import numpy as np

from mlkit import ops
from mlkit.losses import crossentropy_ops
from mlkit.losses.loss import MEAN_IN_ONE_NODE, BuiltinLoss
from mlkit.backend.masking import set_keras_mask
from mlkit.losses.reduction import as_tensor, squeeze_or_expand_to_same_rank
from mlkit.ops.tensor import Tensor
from mlkit.utils.arguments import check_bool, check_number


def _as_float_pair(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.data.dtype.kind != "f":
        y_pred = ops.cast(y_pred, None)
    return as_tensor(y_true, y_pred.data.dtype), y_pred


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy of each entry, averaged over `axis`: one value per sample.

    `label_smoothing` moves the labels towards 0.5: 1 becomes 1 - s/2, 0 becomes s/2.
    """
    y_true, y_pred = _as_float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"binary_crossentropy: y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}; they must have the same shape (one 0/1 label per output)."
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    values = crossentropy_ops.binary_crossentropy_elementwise(y_true, y_pred, from_logits=from_logits)
    return ops.mean(values, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(softmax or normalized y_pred)) over `axis`: one value per sample.

    `label_smoothing` s mixes the one-hot labels with the uniform distribution:
    y_true * (1 - s) + s / num_classes.
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: `axis` must be an int, got axis={axis!r}.")
    y_true, y_pred = _as_float_pair(y_true, y_pred)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "categorical_crossentropy expects y_pred of shape (batch_size, num_classes) with "
            f"num_classes > 1, got y_pred.shape={y_pred.shape}. With one output per sample, "
            "use binary_crossentropy.",
            SyntaxWarning,
            stacklevel=2,
        )
    if y_true.shape != y_pred.shape:
        hint = "."
        if len(y_true.shape) == len(y_pred.shape) - 1 or (y_true.shape and y_true.shape[-1] == 1):
            hint = (
                ". It looks like y_true holds integer class labels: use "
                "sparse_categorical_crossentropy for those, or one-hot encode them."
            )
        raise ValueError(
            f"categorical_crossentropy: y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}; they must have the same shape (one-hot labels){hint}"
        )
    if not y_pred.shape:
        raise ValueError("categorical_crossentropy: y_true and y_pred must be at least 1-d.")
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return crossentropy_ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _integer_labels(y_true, y_pred):
    """`y_true` as a NumPy array of class ids matching y_pred's shape without its last axis."""
    labels = np.asarray(getattr(y_true, "data", y_true))
    if labels.ndim == len(y_pred.shape) and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        hint = "."
        if labels.shape == y_pred.shape:
            hint = (
                ". y_true looks one-hot encoded: use categorical_crossentropy for one-hot "
                "labels, or pass the class ids (e.g. argmax of the one-hot rows)."
            )
        raise ValueError(
            f"sparse_categorical_crossentropy: y_true has shape {np.shape(getattr(y_true, 'data', y_true))} "
            f"and y_pred has shape {y_pred.shape}; y_true must hold one integer class id per "
            f"row of y_pred, i.e. have shape {y_pred.shape[:-1]} (or {y_pred.shape[:-1] + (1,)}){hint}"
        )
    return labels


def _check_class_ids(labels, num_classes):
    ids = labels.astype(np.int64, copy=False)  # float labels are truncated, as in Keras
    if ids.size and not crossentropy_ops.class_ids_in_range(ids, num_classes):
        bad = ids[(ids < 0) | (ids >= num_classes)].ravel()[0]
        raise ValueError(
            f"sparse_categorical_crossentropy: found class id {bad} but y_pred has "
            f"{num_classes} classes, so ids must be in [0, {num_classes - 1}]. Check the "
            "labels, or give the last layer one unit per class."
        )
    return ids


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """-log p[label] for each sample, with integer labels.

    `ignore_class`: a label value (e.g. -1 or 255) whose samples get loss 0
    and do not count in the mean of the `SparseCategoricalCrossentropy` loss.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.data.dtype.kind != "f":
        y_pred = ops.cast(y_pred, None)
    if not y_pred.shape:
        raise ValueError("sparse_categorical_crossentropy: y_pred must be at least 1-d.")
    if axis not in (-1, len(y_pred.shape) - 1):
        y_pred = ops.moveaxis(y_pred, axis, -1)
    labels = _integer_labels(y_true, y_pred)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    ids = _check_class_ids(labels, y_pred.shape[-1])
    values = crossentropy_ops.sparse_crossentropy(ids, y_pred, from_logits=from_logits)
    if valid is not None:
        values = set_keras_mask(values * valid.astype(values.dtype), valid)
    return values


def mean_sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """mean(sparse_categorical_crossentropy(...)) as one node, or None where that does not apply.

    It applies to the usual classifier's batch: integer labels of y_pred's
    shape without its last (class) axis, the class axis last, no ignored
    class. `Loss.__call__` uses it for the default reduction without sample
    weights; the value and the gradient are those of the two-node path.
    """
    if ignore_class is not None or axis != -1:
        return None
    labels = y_true.data if isinstance(y_true, Tensor) else y_true  # (an array's .data is its buffer)
    if not (isinstance(labels, np.ndarray) and labels.dtype.kind in "iu"):
        return None
    shape = y_pred.data.shape
    if not shape or labels.shape != shape[:-1] or y_pred.data.dtype.char not in "fd":  # float32/64, as ops.mean
        return None
    ids = _check_class_ids(labels, shape[-1])
    return crossentropy_ops.mean_sparse_crossentropy(ids, y_pred, from_logits=from_logits)


MEAN_IN_ONE_NODE[sparse_categorical_crossentropy] = mean_sparse_categorical_crossentropy


def _checked_arguments(loss, from_logits, **arguments):
    """The cross-entropy classes' arguments, `from_logits` and `label_smoothing` checked."""
    owner = type(loss).__name__
    checked = {"from_logits": check_bool(owner, "from_logits", from_logits)}
    if "label_smoothing" in arguments:
        arguments["label_smoothing"] = check_number(
            owner, "label_smoothing", arguments["label_smoothing"], at_least=0, at_most=1
        )
    return {**checked, **arguments}


class BinaryCrossentropy(BuiltinLoss):
    """Cross-entropy for 0/1 labels: one sigmoid output (or logit) per label."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        arguments = _checked_arguments(self, from_logits, label_smoothing=label_smoothing, axis=axis)
        super().__init__(binary_crossentropy, reduction, name, dtype, **arguments)


class CategoricalCrossentropy(BuiltinLoss):
    """Cross-entropy for one-hot labels against a softmax (or logits) over classes."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        arguments = _checked_arguments(self, from_logits, label_smoothing=label_smoothing, axis=axis)
        super().__init__(categorical_crossentropy, reduction, name, dtype, **arguments)


class SparseCategoricalCrossentropy(BuiltinLoss):
    """Cross-entropy for integer class labels against a softmax (or logits) over classes."""

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        arguments = _checked_arguments(self, from_logits, ignore_class=ignore_class)
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype, **arguments)

    def _takes_class_ids(self, y_true):
        # Integer labels skip the float round trip (a copy each way, every step),
        # unless a subclass's own call() expects the float tensor Keras gives it.
        labels = y_true.data if isinstance(y_true, Tensor) else y_true  # (an array's .data is its buffer)
        return isinstance(labels, np.ndarray) and labels.dtype.kind in "iu" and type(self).call is BuiltinLoss.call
