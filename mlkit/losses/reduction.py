"""From per-sample losses to the one number `fit` minimizes.

A loss's `call` returns one value per sample (or per time step, pixel...).
`Loss.__call__` then multiplies them by the sample weights, if any, and
reduces them, as Keras 3 does:

- "sum_over_batch_size" (the default) and "mean": sum(weighted) / number of values.
  Sample weights do *not* change the divisor: weights [1, 0] halve the loss.
- "mean_with_sample_weight": sum(weighted) / sum(weights).
- "sum": sum(weighted).
- None or "none": no reduction; the weighted per-sample values come back.

A loss function can also mark some of its values as "not counted" (for
example `ignore_class` in sparse categorical cross-entropy) by attaching a
mask with `backend.set_keras_mask`, the same mask a layer such as
`Embedding(mask_zero=True)` attaches to its output. Masked-out values get weight 0 and, for the mean
reductions, the sum is divided by the number of values that do count.

    >>> import numpy as np
    >>> from mlkit.losses.reduction import reduce_weighted_values
    >>> values = np.array([1.0, 3.0])
    >>> float(reduce_weighted_values(values, sample_weight=[1.0, 0.0]))  # (1*1 + 3*0) / 2
    0.5
    >>> float(reduce_weighted_values(values, [1.0, 0.0], reduction="mean_with_sample_weight"))
    1.0
"""

import numpy as np

from mlkit import ops
from mlkit.ops.tensor import Tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    """Check `reduction` against the names Keras 3 accepts, and return it."""
    if reduction not in REDUCTIONS:
        hint = ""
        if reduction == "auto":
            hint = " ('auto' was Keras 2's default; in Keras 3 it is 'sum_over_batch_size'.)"
        raise ValueError(
            f"Invalid value for argument `reduction`: {reduction!r}. Expected one of "
            f"{list(REDUCTIONS)}.{hint}"
        )
    return reduction


# -- shapes and dtypes ----------------------------------------------------------
def as_tensor(x, dtype):
    """`x` as a tensor of `dtype` (a name); a tensor that already is one comes back as is.

    Checking the NumPy dtype directly is much cheaper than comparing dtype
    names, and this runs on every training step.
    """
    if isinstance(x, Tensor) and x.data.dtype == dtype:
        return x
    return ops.convert_to_tensor(x, dtype=dtype)


def _shape(x):
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def _squeeze_last(x):
    return ops.squeeze(x, axis=-1) if isinstance(x, Tensor) else np.squeeze(x, axis=-1)


def _expand_last(x):
    return ops.expand_dims(x, -1) if isinstance(x, Tensor) else np.expand_dims(x, -1)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks agree when they differ by one trailing axis of size 1.

    (batch, 1) and (batch,) become both (batch, 1) (if `expand_rank_1`) or both
    (batch,); anything else is returned unchanged. Works on tensors and arrays.
    """
    shape1, shape2 = _shape(x1), _shape(x2)
    rank1, rank2 = len(shape1), len(shape2)
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and shape1[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = _expand_last(x2)
        else:
            x1 = _squeeze_last(x1)
    if rank2 == rank1 + 1 and shape2[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = _expand_last(x1)
        else:
            x2 = _squeeze_last(x2)
    return x1, x2


# -- weights and reductions ---------------------------------------------------
def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a mask into the sample weights (None if there is neither)."""
    if mask is None:
        return sample_weight
    mask = np.asarray(getattr(mask, "data", mask), dtype=dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        # Weight the valid values by total/valid, so that dividing the sum by
        # the total number of values gives the mean over the valid ones.
        valid = mask.sum()
        mask = mask * (mask.size / valid if valid else 0.0)
    if sample_weight is None:
        return mask
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return ops.multiply(sample_weight, mask.astype(dtype, copy=False))


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce already-weighted `values` to a scalar (see the module docstring)."""
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total_weight = float(np.sum(getattr(sample_weight, "data", sample_weight)))
        return ops.sum(values) / total_weight if total_weight else ops.sum(values) * 0.0
    return ops.mean(values)  # sum over the number of values, in one recorded op


def _match_weight_rank(sample_weight, values):
    """Give per-sample weights trailing axes so they scale every value of a sample.

    Keras 3 leaves weights of shape (batch,) against values of shape (batch, steps)
    to NumPy broadcasting, which pairs them along the wrong axis; adding the
    axes makes each sample's weight scale all of that sample's values.
    """
    missing = len(values.shape) - len(sample_weight.shape)
    if missing > 0 and len(sample_weight.shape) > 0:
        sample_weight = ops.reshape(sample_weight, tuple(sample_weight.shape) + (1,) * missing)
    return sample_weight


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    """Weight the per-sample `values`, then reduce them; returns a tensor."""
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values) if dtype is None else as_tensor(values, dtype)
    dtype = values.data.dtype
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        sample_weight = _match_weight_rank(sample_weight, values)
        try:
            values = values * sample_weight
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {tuple(sample_weight.shape)} does not match the "
                f"per-sample losses of shape {tuple(values.shape)}. Pass one weight per "
                "sample: an array of shape (batch_size,)."
            ) from None
    return reduce_values(values, sample_weight, reduction)
