"""Where random numbers come from: the global generator and `SeedGenerator`.

Every draw in mlkit goes through a NumPy `Generator`. Which one depends on
the `seed` argument:

- `None`: the global generator, which `mlkit.utils.set_random_seed` resets,
  so a whole program is reproducible from one seed;
- an int: a fresh generator seeded with it, so the same int gives the same
  numbers every time;
- a `SeedGenerator`: its own stream, which moves on with every draw, so
  repeated calls differ but the sequence is reproducible.

    >>> from mlkit.random import SeedGenerator, normal
    >>> stream = SeedGenerator(seed=42)
    >>> a, b = normal((2,), seed=stream), normal((2,), seed=stream)
    >>> bool((a.numpy() == b.numpy()).all())   # the stream moved on
    False
"""

import numpy as np

_global = {"generator": np.random.default_rng()}


def set_global_seed(seed):
    """Reset the global generator (used by draws with `seed=None`)."""
    _global["generator"] = np.random.default_rng(seed)


def global_generator():
    return _global["generator"]


def make_default_seed():
    """A fresh int seed drawn from the global generator (reproducible after seeding it)."""
    return int(_global["generator"].integers(1, 2**31 - 1))


class SeedGenerator:
    """A reproducible stream of random draws: same seed, same sequence.

    `SeedGenerator()` without a seed takes one from the global generator, so
    it too is reproducible after `mlkit.utils.set_random_seed`.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(
                f"SeedGenerator: seed must be None or an int, got {seed!r} of type {type(seed).__name__}."
            )
        self._initial_seed = seed
        self.name = name or "seed_generator"
        self.generator = np.random.default_rng(make_default_seed() if seed is None else int(seed))

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name}, seed={self._initial_seed}>"


def generator_for(seed):
    """The NumPy generator a `seed` argument (None, int or SeedGenerator) stands for."""
    if seed is None:
        return _global["generator"]
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise ValueError(
        f"A random seed must be None, an int or a mlkit.random.SeedGenerator, got {seed!r} "
        f"of type {type(seed).__name__}."
    )
