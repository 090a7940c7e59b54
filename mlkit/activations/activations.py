"""The activation functions, thin wrappers over `mlkit.ops` with Keras's arguments.

Note two defaults that differ from the ops of the same name, as in Keras:
`activations.gelu` is exact (approximate=False) while `ops.gelu` uses the
tanh approximation, and `activations.relu` takes extra options.

    >>> from mlkit import activations
    >>> activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0], negative_slope=0.5).numpy().tolist()
    [-5.0, -2.5, 0.0, 5.0, 10.0]
"""

from mlkit import ops


def linear(x):
    """The identity: no activation."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), optionally leaky below `threshold` and capped at `max_value`.

    Below `threshold` the result is `negative_slope * (x - threshold)`; above
    it, x itself, clipped to [0, max_value] when `max_value` is given.
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    if threshold != 0.0:
        out = x * ops.cast(ops.greater(x, threshold), x.dtype)
    else:
        out = ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, max_value)
    if negative_slope != 0.0:
        out = out - negative_slope * ops.relu(threshold - x)
    return out


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    return ops.relu6(x)


def sigmoid(x):
    return ops.sigmoid(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def hard_silu(x):
    return ops.hard_silu(x)


hard_swish = hard_silu


def tanh(x):
    return ops.tanh(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def selu(x):
    return ops.selu(x)


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def silu(x):
    return ops.silu(x)


swish = silu


def exponential(x):
    return ops.exp(x)


def mish(x):
    return ops.mish(x)
