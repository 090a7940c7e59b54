"""What the checks of notebooks 05 and 07 (models, training steps) observe in the kernel.

Each helper runs on the student's objects (in the kernel, see probe_channel)
and gives back plain data: a flag, numbers, arrays, a description; the
checks judge that data. Gradients are observed with
`mlkit.utils.gradient_check.gradients_both_ways` and judged with its
`gradient_disagreement`.
"""

import numpy as np

from mlkit.grading.layer_helpers import call_layer


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
