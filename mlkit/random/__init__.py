"""`mlkit.random`: seeded random tensors, like `keras.random`.

An integer `seed` gives the same numbers on every call; `seed=None` draws
from the global generator, which `mlkit.utils.set_random_seed` resets; a
`SeedGenerator` gives a reproducible stream of different draws.

    >>> from mlkit import random
    >>> a = random.normal((2,), seed=1)
    >>> b = random.normal((2,), seed=1)
    >>> bool((a.numpy() == b.numpy()).all())
    True
"""

from mlkit.random.random import (
    SeedGenerator,
    dropout,
    generator_for,
    normal,
    set_global_seed,
    shuffle,
    truncated_normal,
    uniform,
)
