"""Products of tensors: matmul, dot, tensordot and einsum, with gradients.

The gradient of `y = a @ b` is `grad_a = g @ b.T` and `grad_b = a.T @ g`;
everything else here is bookkeeping for 1-d operands and batch axes.

    >>> from mlkit import ops
    >>> ops.matmul(ops.ones((2, 3)), ops.ones((3, 4))).shape
    (2, 4)
"""

import string

import numpy as np

from mlkit.ops.autodiff import needs_grad, record, unbroadcast
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor


def _matmul_backward(a, b, want_a=True, want_b=True):
    """The backward rule of a @ b; a gradient nobody needs is not computed
    (a dense layer's input batch rarely needs one, and it costs a full matmul)."""

    def backward(g):
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # Put back the axes NumPy dropped for 1-d operands (b's first: for
        # vector @ vector, g is a scalar).
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = grad_b = None
        if want_a:
            grad_a = np.matmul(g, np.swapaxes(b2, -1, -2))
            grad_a = unbroadcast(grad_a, a2.shape).reshape(a.shape)
        if want_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # A dense layer on a sequence: fold the batch axes into one matmul.
                grad_b = a2.reshape(-1, a2.shape[-1]).T @ g.reshape(-1, g.shape[-1])
            else:
                grad_b = np.matmul(np.swapaxes(a2, -1, -2), g)
            grad_b = unbroadcast(grad_b, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    return backward


def matmul(x1, x2):
    """Matrix product with NumPy's rules (batch axes broadcast)."""
    a, b = np.asarray(data_of(x1)), np.asarray(data_of(x2))
    try:
        out = np.matmul(a, b)
    except ValueError:
        raise ValueError(
            f"ops.matmul: cannot multiply shapes {a.shape} and {b.shape}. The last axis of x1 "
            "must equal the second-to-last axis of x2 (the only axis of a 1-d x2), and any "
            "leading batch axes must broadcast."
        ) from None
    want_a, want_b = needs_grad(x1), needs_grad(x2)
    if want_a or want_b:
        return record(out, (x1, x2), _matmul_backward(a, b, want_a, want_b))
    return Tensor(out)


def _letters(count, start=0):
    return "".join(chr(ord("a") + start + i) for i in range(count))


def _explicit(subscripts, shapes):
    """`subscripts` with '...' spelled out and the output named.

    'ij,jk' becomes (['ij', 'jk'], 'ik'), following NumPy's implicit rule:
    the output holds the letters seen exactly once, in alphabetical order.
    """
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    input_subs = inputs.split(",")
    if len(input_subs) != len(shapes):
        raise ValueError(
            f"ops.einsum: {subscripts!r} names {len(input_subs)} operands but {len(shapes)} were given."
        )
    spare = [ch for ch in string.ascii_letters if ch not in spec]
    ellipsis_ndim = max(
        (len(shape) - len(sub) + 3 for sub, shape in zip(input_subs, shapes) if "..." in sub), default=0
    )
    ellipsis = "".join(spare[:ellipsis_ndim])
    expanded = []
    for sub, shape in zip(input_subs, shapes):
        if "..." in sub:
            count = len(shape) - len(sub) + 3
            sub = sub.replace("...", ellipsis[ellipsis_ndim - count :])
        expanded.append(sub)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = "".join(expanded)
        singles = sorted(ch for ch in set(letters) if letters.count(ch) == 1 and ch not in ellipsis)
        output = ellipsis + "".join(singles)
    return expanded, output


def einsum(subscripts, *operands):
    """Einstein summation, e.g. einsum('bij,jk->bik', x, w).

    The gradient for one operand is itself an einsum: the output's gradient
    contracted with all the other operands.
    """
    values = [np.asarray(data_of(x)) for x in operands]
    input_subs, output = _explicit(subscripts, [v.shape for v in values])
    out = np.einsum(",".join(input_subs) + "->" + output, *values)
    if not any(needs_grad(x) for x in operands):
        return Tensor(out)
    if any(len(set(sub)) != len(sub) for sub in input_subs):
        raise NotImplementedError(
            f"ops.einsum: gradients of repeated letters within one operand (diagonals, traces) "
            f"are not supported, got {subscripts!r}."
        )

    def grad_for(index, g):
        target, shape = input_subs[index], values[index].shape
        others = [sub for i, sub in enumerate(input_subs) if i != index]
        available = set(output).union(*others)
        # Letters found only in this operand were summed away: the gradient is
        # the same all along them, so compute it without them and broadcast.
        kept = "".join(ch for ch in target if ch in available)
        spec = ",".join([output] + others) + "->" + kept
        partial = np.einsum(spec, g, *[v for i, v in enumerate(values) if i != index])
        sizes = dict(zip(kept, partial.shape))
        partial = partial.reshape([sizes.get(ch, 1) for ch in target])
        # Axes this operand had as size 1 but were broadcast: sum them back.
        broadcast = tuple(i for i, n in enumerate(shape) if n == 1 and partial.shape[i] != 1)
        if broadcast:
            partial = partial.sum(axis=broadcast, keepdims=True)
        return np.broadcast_to(partial, shape)

    def backward(g):
        return tuple(grad_for(i, g) for i in range(len(operands)))

    return record(out, operands, backward)


def tensordot(x1, x2, axes=2):
    """Sum products over the given axes of x1 and x2 (NumPy's tensordot)."""
    a, b = np.asarray(data_of(x1)), np.asarray(data_of(x2))
    if isinstance(axes, int):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [i % a.ndim for i in axes_a]
    axes_b = [i % b.ndim for i in axes_b]
    letters_a = list(_letters(a.ndim))
    letters_b = list(_letters(b.ndim, start=a.ndim))
    for i, j in zip(axes_a, axes_b):
        letters_b[j] = letters_a[i]
    free = [ch for i, ch in enumerate(letters_a) if i not in axes_a]
    free += [ch for j, ch in enumerate(letters_b) if j not in axes_b]
    spec = "".join(letters_a) + "," + "".join(letters_b) + "->" + "".join(free)
    return einsum(spec, x1, x2)


def dot(x1, x2):
    """NumPy's dot: matmul for vectors and matrices, else a tensordot."""
    b_ndim = np.ndim(data_of(x2))
    a_ndim = np.ndim(data_of(x1))
    if a_ndim == 0 or b_ndim == 0:
        from mlkit.ops.math import multiply

        return multiply(x1, x2)
    if b_ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-2]))


def outer(x1, x2):
    from mlkit.ops.array import reshape

    return matmul(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))
