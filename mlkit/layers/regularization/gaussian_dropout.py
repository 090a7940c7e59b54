"""`GaussianDropout`: during training, multiply the inputs by noise around 1.

The noise is normal with mean 1 and standard deviation sqrt(rate / (1 - rate)),
the same variance as inverted dropout with that `rate`, but smooth: nothing
is zeroed. The expected output equals the input, and at inference the layer
does nothing.

    >>> from mlkit import layers, ops
    >>> layers.GaussianDropout(0.2, seed=0)(ops.ones((1, 2))).numpy().tolist()
    [[1.0, 1.0]]
"""

import math

from mlkit import random
from mlkit.layers.layer import Layer


class GaussianDropout(Layer):
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                f"GaussianDropout {self.name!r}: rate must be between 0 and 1, got rate={rate!r}."
            )
        self.rate = rate
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = random.normal(inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed_generator)
        return inputs * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
