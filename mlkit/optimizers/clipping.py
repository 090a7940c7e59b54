"""Gradient clipping: what the optimizers' `clipvalue`, `clipnorm` and
`global_clipnorm` arguments do to the gradients before a step.

Each function changes the arrays it is given in place (the optimizer hands
it its own copies of the gradients) and follows the Keras formulas:

- `clip_by_value`: every entry is clipped to [-limit, limit];
- `clip_by_norm`: each gradient g whose L2 norm exceeds `max_norm` is
  rescaled to g * max_norm / norm(g), the others are left alone;
- `clip_by_global_norm`: all gradients are rescaled together by
  max_norm / global_norm when global_norm = sqrt(sum of all squared norms)
  exceeds `max_norm`, so their directions relative to each other survive.

    >>> import numpy as np
    >>> gradients = [np.array([3.0, 4.0])]          # norm 5
    >>> clip_by_norm(gradients, 1.0)
    >>> gradients[0].tolist()
    [0.6000000000000001, 0.8]
"""

import math

import numpy as np


def squared_norm(array):
    """The sum of the squares of all entries, as a Python float."""
    flat = array.reshape(-1)
    return float(np.dot(flat, flat))


def clip_by_value(gradients, limit):
    for gradient in gradients:
        np.clip(gradient, -limit, limit, out=gradient)


def clip_by_norm(gradients, max_norm):
    for gradient in gradients:
        norm = math.sqrt(squared_norm(gradient))
        if norm > max_norm:
            gradient *= max_norm / norm


def clip_by_global_norm(gradients, max_norm):
    global_norm = math.sqrt(sum(squared_norm(gradient) for gradient in gradients))
    if not math.isfinite(global_norm):
        scale = math.nan  # as in Keras: an inf or NaN gradient poisons the whole step
    elif global_norm > max_norm:
        scale = max_norm / global_norm
    else:
        return
    for gradient in gradients:
        gradient *= scale
