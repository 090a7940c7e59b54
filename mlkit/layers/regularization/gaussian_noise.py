"""`GaussianNoise`: during training, add zero-mean normal noise to the inputs.

A cheap data augmentation for real-valued inputs: the model never sees the
exact same sample twice. Like Dropout it acts only with `training=True`.

    >>> from mlkit import layers, ops
    >>> noise = layers.GaussianNoise(0.1, seed=0)
    >>> noise(ops.ones((1, 3))).numpy().tolist()       # inference: unchanged
    [[1.0, 1.0, 1.0]]
    >>> bool((noise(ops.ones((1, 3)), training=True).numpy() != 1.0).all())
    True
"""

from mlkit import random
from mlkit.layers.layer import Layer


class GaussianNoise(Layer):
    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                f"GaussianNoise {self.name!r}: stddev must be between 0 and 1, got stddev={stddev!r}."
            )
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = random.normal(inputs.shape, stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator)
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
