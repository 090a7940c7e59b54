"""What the checks of notebooks 05 and 07 (models, training steps) observe in the kernel.

Each helper runs on the student's objects (in the kernel, see probe_channel)
and gives back plain data: a flag, numbers, arrays, a description. The
checks judge that data; the one judgment kept here, `gradient_disagreement`,
works on plain arrays only and runs where the check judges.
"""

import numpy as np

from mlkit.grading.layer_computation import _NOT_DIFFERENTIABLE_HINT as GRADIENT_HINT
from mlkit.grading.layer_helpers import call_layer
from mlkit.ops.autodiff import GradientTape
from mlkit.ops.core import convert_to_tensor
from mlkit.ops.math import multiply, sum as reduce_sum
from mlkit.ops.tensor import Tensor
from mlkit.utils.gradient_check import numerical_gradient

__all__ = ["GRADIENT_HINT", "first_call_or_error", "gradient_disagreement", "gradients_both_ways",
           "loss_values", "raise_again", "same_weights"]


def first_call_or_error(layer, inputs, during, error):
    """Call `layer` on `inputs`: False when it worked; True when it raised, the error kept in the
    list `error` (a check looks at the weights first, then `raise_again`)."""
    try:
        call_layer(layer, inputs, during)
    except Exception as caught:
        error.append(caught)
        return True
    return False


def raise_again(error):
    """Raise the error `first_call_or_error` kept (explained where it first happened)."""
    raise error[0]


def same_weights(weights, before):
    """Whether `weights` are the very objects of `before`, in the same order."""
    return len(weights) == len(before) and all(a is b for a, b in zip(weights, before))


def loss_values(layer):
    """The losses the layer holds now, as numbers."""
    return [float(np.asarray(getattr(loss, "data", loss))) for loss in layer.losses]


# -- gradients: computed in the kernel, compared by the judge ---------------------------

def gradients_both_ways(function, sources, eps=1e-6, seed=0):
    """[(name, gradient by backprop, gradient by finite differences)] for each of `sources`,
    computed as mlkit.utils.gradient_check.check_gradients computes them (same projections,
    same steps); `gradient_disagreement` compares them as it does."""
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


def _is_variable(source):
    return isinstance(source, Tensor) and hasattr(source, "assign")


def gradient_disagreement(pairs, atol=1e-6, rtol=1e-4):
    """None when each backprop gradient of `pairs` (from `gradients_both_ways`, as plain data)
    matches finite differences; else what differs, in check_gradients' words."""
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
