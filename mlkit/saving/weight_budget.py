"""`weight_budget`: bound the memory a model built from a file may allocate.

A config of a few bytes can ask for a Dense layer of a billion units. Inside
`with weight_budget(where):` every new variable's size is added up *before*
its value is allocated, and the first one that takes the total past
`mlkit.saving.limits.max_weight_bytes` is refused with an error that says
how to raise the limit.

    >>> from mlkit import layers
    >>> from mlkit.saving.weight_budget import weight_budget
    >>> with weight_budget("'huge.keras'"):
    ...     layers.Dense(10**6).build((None, 10**6))
    Traceback (most recent call last):
    ...
    ValueError: 'huge.keras' asks for weights of 4,000,000,000,000 bytes in total ...
"""

import math

import numpy as np

from mlkit import variable
from mlkit.saving import limits


class weight_budget:
    def __init__(self, where):
        self.where = where
        self.used = 0

    def __enter__(self):
        variable.before_allocating.append(self.check)
        return self

    def __exit__(self, *exc_info):
        variable.before_allocating.remove(self.check)
        return False

    def check(self, name, shape, dtype):
        self.used += math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
        if self.used > limits.max_weight_bytes:
            raise ValueError(
                f"{self.where} asks for weights of {self.used:,} bytes in total (reached at "
                f"variable {name!r} of shape {shape}), more than the limit of "
                f"{limits.max_weight_bytes:,} bytes. If you trust the file and have the memory, "
                f"raise {limits.described('max_weight_bytes')} before loading."
            )
