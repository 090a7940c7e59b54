"""The three cross-entropies as single autodiff nodes, each with its own backward.

Why fused: a cross-entropy written with ops (softmax, log, one-hot product,
sum) records five or six nodes, and in `fit`'s inner loop the bookkeeping of
each node costs more than its arithmetic on a small batch. One node with a
hand-written gradient is about twice as fast, and the gradient is also the
numerically best one: softmax(z) - one_hot(y) for logits. Every rule here is
checked against finite differences in tests/losses/test_crossentropy_ops.py.

The values follow Keras 3 exactly:

- from logits: log-softmax / log-sigmoid, stable for any logit size;
- from probabilities: categorical ones divide `y_pred` by its sum over the
  class axis first, then every one clips probabilities to
  [epsilon, 1 - epsilon] before the log (`backend.epsilon()`, 1e-7), so
  probabilities of exactly 0 or 1 give a large but finite loss. Where the clip
  is active its gradient is 0, as for `ops.clip`.

    >>> import numpy as np
    >>> from mlkit.losses.crossentropy_ops import sparse_crossentropy
    >>> logits = np.array([[1000.0, 0.0, -1000.0]])
    >>> sparse_crossentropy(np.array([1]), logits, from_logits=True).numpy().tolist()
    [1000.0]
"""

import numpy as np

from mlkit import backend
from mlkit.ops.autodiff import needs_grad, record
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor


def _finish(value, target, output, backward):
    """Record the node if `output` (or a float `target`) needs a gradient."""
    if needs_grad(output) or needs_grad(target):
        return record(value, (target, output), backward)
    return Tensor(value)


def _finish_sparse(value, output, backward):
    """Record the node if `output` needs a gradient (integer labels never do)."""
    if needs_grad(output):
        return record(value, (output,), backward)
    return Tensor(value)


def _clip_bounds():
    epsilon = backend.epsilon()
    return epsilon, 1.0 - epsilon


def binary_crossentropy_elementwise(target, output, from_logits=False):
    """-(t log p + (1 - t) log(1 - p)) for every entry (no reduction)."""
    t, y = data_of(target), np.asarray(data_of(output))
    wants_target_grad = needs_grad(target)
    if from_logits:
        # -t log(sigmoid(y)) - (1 - t) log(sigmoid(-y)) simplifies to softplus(y) - t*y.
        value = (np.logaddexp(0, y) - t * y).astype(y.dtype, copy=False)

        def backward(g):
            sigmoid = np.exp(-np.logaddexp(0, -y))
            return (-g * y if wants_target_grad else None), g * (sigmoid - t)

        return _finish(value, target, output, backward)
    low, high = _clip_bounds()
    clipped = np.clip(y, low, high)
    log_p, log_not_p = np.log(clipped), np.log(1 - clipped)
    value = -(t * log_p + (1 - t) * log_not_p)

    def backward(g):
        inside = (y >= low) & (y <= high)
        grad_output = g * inside * ((1 - t) / (1 - clipped) - t / clipped)
        return (g * (log_not_p - log_p) if wants_target_grad else None), grad_output

    return _finish(value, target, output, backward)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(t * log p) over `axis`: one value per sample."""
    t, y = data_of(target), np.asarray(data_of(output))
    wants_target_grad = needs_grad(target)
    if from_logits:
        shifted = y - y.max(axis=axis, keepdims=True)
        log_prob = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        value = -(t * log_prob).sum(axis=axis)

        def backward(g):
            g = np.expand_dims(g, axis)
            softmax = np.exp(log_prob)
            grad_output = g * (softmax * np.sum(t, axis=axis, keepdims=True) - t)
            return (-g * log_prob if wants_target_grad else None), grad_output

        return _finish(value, target, output, backward)
    low, high = _clip_bounds()
    total = y.sum(axis=axis, keepdims=True)
    normalized = y / total
    clipped = np.clip(normalized, low, high)
    log_prob = np.log(clipped)
    value = -(t * log_prob).sum(axis=axis)

    def backward(g):
        g = np.expand_dims(g, axis)
        inside = (normalized >= low) & (normalized <= high)
        grad_normalized = -(inside * t) / clipped
        # Through p = y / sum(y): dL/dy_i = (dL/dp_i - sum_j dL/dp_j p_j) / sum(y).
        correction = (grad_normalized * normalized).sum(axis=axis, keepdims=True)
        grad_output = g * (grad_normalized - correction) / total
        return (-g * log_prob if wants_target_grad else None), grad_output

    return _finish(value, target, output, backward)


def class_ids_in_range(ids, num_classes):
    """Whether every integer class id in `ids` (a non-empty array) lies in [0, num_classes).

    One pass checks both ends: read as unsigned, a negative id becomes a huge number.
    """
    return np.maximum.reduce(ids.view(f"u{ids.dtype.itemsize}"), axis=None) < num_classes


def sparse_crossentropy(labels, output, from_logits=False):
    """-log p[label] over the last axis; `labels` are integer class ids (a NumPy array)."""
    value, backward = _sparse_crossentropy_rule(labels, output, from_logits)
    return _finish_sparse(value, output, backward)


def mean_sparse_crossentropy(labels, output, from_logits=False):
    """The mean of `sparse_crossentropy` over every sample, as one node.

    It is the last node of a classifier's loss in `fit` (no sample weights,
    the default reduction), where the usual two nodes (the per-sample values,
    then `ops.mean`) cost more bookkeeping than arithmetic. The value and the
    gradient are computed exactly as those two nodes compute them.
    """
    values, backward = _sparse_crossentropy_rule(labels, output, from_logits)
    count = values.size
    mean = np.add.reduce(values, axis=tuple(range(values.ndim))) / count  # as ops.mean computes it

    def mean_backward(g):
        # ops.mean gives every sample the gradient g / count; the cross-entropy's
        # rule multiplies by it, and one scalar broadcasts to the same products.
        return backward(g / count)

    return _finish_sparse(mean, output, mean_backward)


def _sparse_crossentropy_rule(labels, output, from_logits):
    """The per-sample values of the sparse cross-entropy and their backward rule."""
    y = np.asarray(data_of(output))
    # Work on rows: (samples, classes), with plain integer indexing (fast).
    rows = y.reshape(-1, y.shape[-1])
    index = (np.arange(rows.shape[0]), labels.reshape(-1))
    if from_logits:
        # (np.maximum.reduce and np.add.reduce are rows.max and exp.sum without their Python wrappers.)
        shifted = rows - np.maximum.reduce(rows, axis=-1, keepdims=True)
        exp = np.exp(shifted)
        total = np.add.reduce(exp, axis=-1)
        value = (np.log(total) - shifted[index]).reshape(labels.shape)

        def backward(g):
            grad = exp / total[:, None]  # softmax(y) - one_hot(label)
            grad[index] -= 1
            grad *= g.reshape(-1, 1)
            return (grad.reshape(y.shape),)

        return value, backward
    low, high = _clip_bounds()
    total = rows.sum(axis=-1)
    picked = rows[index] / total  # p[label]
    clipped = np.clip(picked, low, high)
    value = -np.log(clipped).reshape(labels.shape)

    def backward(g):
        inside = (picked >= low) & (picked <= high)
        # dL/dp[label] = -1/p; through p = y / sum(y): dL/dy_i = dL/dp (one_hot_i - p) / sum(y).
        scale = -g.reshape(-1) * inside / clipped / total
        grad = np.repeat((-scale * picked)[:, None], rows.shape[1], axis=1)
        grad[index] += scale
        return (grad.reshape(y.shape),)

    return value, backward
