"""`Dropout`: during training, zero a random fraction `rate` of the inputs.

Each value is kept with probability `1 - rate` and then scaled by
`1 / (1 - rate)` ("inverted dropout"), so the expected value of every output
equals its input and nothing needs rescaling at inference. Dropout acts only
when the layer is called with `training=True` (which `fit` does, and which an
outer layer or model passes down); otherwise it returns its input unchanged.

`noise_shape` shares one random decision along some axes: for inputs
`(batch, steps, features)`, `noise_shape=(None, 1, None)` drops the same
features at every step (None means "the input's size").

A layer with a `seed` draws a reproducible sequence of masks: a new mask on
every call, the same sequence for two layers with the same seed.

    >>> from mlkit import layers, ops
    >>> dropout = layers.Dropout(0.5, seed=0)
    >>> x = ops.ones((1, 6))
    >>> dropout(x).numpy().tolist()                      # inference: unchanged
    [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]
    >>> sorted(set(dropout(x, training=True).numpy().ravel().tolist()))   # dropped or doubled
    [0.0, 2.0]
"""

from mlkit import ops, random
from mlkit.layers.layer import Layer
from mlkit.utils.arguments import check_number


def _check_noise_shape(noise_shape, layer_name):
    """`noise_shape` as a tuple of positive ints or None entries."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str) or not hasattr(noise_shape, "__iter__"):
        raise ValueError(
            f"Dropout {layer_name!r}: noise_shape must be a tuple of ints or None, "
            f"got noise_shape={noise_shape!r}."
        )
    noise_shape = tuple(noise_shape)
    for size in noise_shape:
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
            raise ValueError(
                f"Dropout {layer_name!r}: every entry of noise_shape must be a positive int or "
                f"None, got noise_shape={noise_shape}."
            )
    return noise_shape


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_number(
            f"Dropout {self.name!r}", "rate", rate, at_least=0, at_most=1,
            hint="It is the fraction of inputs to drop, e.g. Dropout(0.5).",
        )
        self.seed = seed
        self.noise_shape = _check_noise_shape(noise_shape, self.name)
        self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def _noise_shape_for(self, inputs):
        """The shape of the random keep/drop mask (broadcast against `inputs`)."""
        if self.noise_shape is None:
            return None
        shape = inputs.shape
        fits = len(self.noise_shape) == len(shape) and all(
            size is None or size == 1 or size == actual for size, actual in zip(self.noise_shape, shape)
        )
        if not fits:
            raise ValueError(
                f"Dropout {self.name!r}: noise_shape={self.noise_shape} does not fit inputs of "
                f"shape {tuple(shape)}; it needs one entry per input axis, each None, 1 or the "
                "input's size."
            )
        return self.noise_shape

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ops.multiply(inputs, 0.0)  # everything dropped
        return random.dropout(
            inputs, self.rate, noise_shape=self._noise_shape_for(inputs), seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
