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
    categorical,
    dropout,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)
from mlkit.random.seed_generator import (
    SeedGenerator,
    generator_for,
    global_generator,
    make_default_seed,
    set_global_seed,
)
