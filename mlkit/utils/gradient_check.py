"""Check backpropagation against finite differences — the ground truth.

The derivative of f at x along one coordinate is approximately
`(f(x + eps) - f(x - eps)) / (2 eps)`. Doing that for every coordinate is
slow but needs no calculus, so it is the test every backward rule must pass.
Use float64: in float32 the rounding error swamps the difference quotient.

    >>> import numpy as np
    >>> from mlkit import ops
    >>> from mlkit.utils.gradient_check import check_gradients
    >>> x = np.random.default_rng(0).normal(size=(3, 4))
    >>> check_gradients(lambda t: ops.tanh(t), [x])   # raises if they differ
"""

import numpy as np

from mlkit.ops.autodiff import GradientTape
from mlkit.ops.core import convert_to_tensor
from mlkit.ops.math import multiply, sum as reduce_sum
from mlkit.ops.tensor import Tensor


def _is_variable(source):
    """Whether `source` is a `Variable`: the one kind of tensor that can be assigned.

    Recognized by that ability rather than by its class, because
    `mlkit.variable` itself imports `mlkit.utils` (for layer names).
    """
    return isinstance(source, Tensor) and hasattr(source, "assign")


def numerical_gradient(function, value, eps=1e-6):
    """Central-difference gradient of the scalar `function()` w.r.t. the array `value`.

    `value` is changed in place, one coordinate at a time, and restored.
    """
    grad = np.zeros(value.shape, dtype=np.float64)
    flat_value, flat_grad = value.reshape(-1), grad.reshape(-1)
    for i in range(flat_value.size):
        original = flat_value[i]
        flat_value[i] = original + eps
        plus = function()
        flat_value[i] = original - eps
        minus = function()
        flat_value[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def check_gradients(function, sources, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0):
    """Assert that backprop through `function` matches finite differences.

    `function(*tensors)` returns a tensor (or a list of tensors). `sources`
    are NumPy arrays (passed to `function` as watched tensors) or `Variable`s
    (used by `function` itself, e.g. a layer's weights). Each output is dotted
    with a fixed random array, so every output entry is checked, not just a
    sum that could hide sign errors.
    """
    problem = gradient_disagreement(gradients_both_ways(function, sources, eps, seed), atol, rtol)
    if problem is not None:
        raise AssertionError(problem)


def gradients_both_ways(function, sources, eps=1e-6, seed=0):
    """[(name, gradient by backprop, gradient by finite differences)] for each of `sources`
    (see `check_gradients`): plain arrays, which `gradient_disagreement` compares. The
    grader computes them where the student's code runs and compares them elsewhere."""
    arrays = [s.data if _is_variable(s) else np.array(s, dtype=np.float64, order="C") for s in sources]
    for array in arrays:
        if array.dtype != np.float64:
            raise TypeError(
                f"check_gradients needs float64 values for accurate finite differences, got "
                f"{array.dtype}. Build layers with dtype='float64' and pass float64 arrays."
            )
    array_positions = [i for i, s in enumerate(sources) if not _is_variable(s)]
    rng = np.random.default_rng(seed)
    projections = {}

    def scalar_output(watch=None):
        tensors = [Tensor(arrays[i]) for i in array_positions]
        if watch is not None:
            watch.watch(tensors)
        outputs = function(*tensors)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        total = None
        for k, out in enumerate(outputs):
            out = convert_to_tensor(out)
            if k not in projections:
                projections[k] = rng.normal(size=out.shape)
            term = reduce_sum(multiply(out, projections[k]))
            total = term if total is None else total + term
        return total, tensors

    with GradientTape() as tape:
        total, tensors = scalar_output(watch=tape)
    leaf_for = dict(zip(array_positions, tensors))
    targets = [leaf_for[i] if i in leaf_for else s for i, s in enumerate(sources)]
    analytic = tape.gradient(total, targets)
    pairs = []
    for index, (array, grad) in enumerate(zip(arrays, analytic)):
        expected = numerical_gradient(lambda: float(scalar_output()[0].data), array, eps)
        got = np.zeros_like(expected) if grad is None else np.asarray(grad.data, dtype=np.float64)
        pairs.append((str(getattr(sources[index], "path", f"input {index}")), got, expected))
    return pairs


def gradient_disagreement(pairs, atol=1e-6, rtol=1e-4):
    """None when each backprop gradient of `pairs` (from `gradients_both_ways`) matches its
    finite differences; else a sentence saying where and by how much they differ."""
    for name, got, expected in pairs:
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if got.shape != expected.shape:
            return (f"Gradient check failed for {name}: backprop gives a gradient of shape {got.shape}, "
                    f"the value has shape {expected.shape}.")
        if not np.allclose(got, expected, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
            return (f"Gradient check failed for {name} (shape {expected.shape}): at index "
                    f"{tuple(int(i) for i in worst)} backprop gives {got[worst]:.6g} but finite "
                    f"differences give {expected[worst]:.6g} "
                    f"(max abs difference {np.max(np.abs(got - expected)):.3g}).")
    return None
