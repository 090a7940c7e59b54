"""`LearningRateSchedule`: a learning rate that depends on the training step.

Give a schedule to an optimizer as its `learning_rate`: before every step
the optimizer calls `schedule(optimizer.iterations)` and uses the result.
To write your own, subclass this class, implement `__call__(self, step)`,
and `get_config()` if the schedule must be saved with a model.

    >>> from mlkit.optimizers import schedules
    >>> class Halving(schedules.LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate * 0.5 ** (step // 10)
    >>> Halving(0.1)(25)
    0.025

The built-in schedules return a float tensor, and also accept an array of
steps (an mlkit extension) so a whole schedule can be plotted at once:
`schedule(np.arange(1000)).numpy()`.
"""

import numpy as np

from mlkit import backend
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor


class LearningRateSchedule:
    """Base class of learning rate schedules: `__call__(step)` -> learning rate."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`, "
            "returning the learning rate for that step."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "(a dict of its constructor arguments) in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


# -- helpers shared by the built-in schedules --------------------------------


def steps_as_array(step):
    """`step` (an int, `optimizer.iterations`, a tensor or an array of steps) in float64."""
    return np.asarray(data_of(step), dtype=np.float64)


def as_learning_rate(value, initial_learning_rate):
    """`value` as a tensor of the initial learning rate's float type (floatx for Python numbers)."""
    dtype = backend.floatx()
    if isinstance(initial_learning_rate, (Tensor, np.ndarray, np.generic)):
        given = np.asarray(data_of(initial_learning_rate)).dtype
        if given.kind == "f":
            dtype = given.name
    return Tensor(np.asarray(value, dtype=dtype))


def check_positive_steps(schedule_name, argument, value):
    """Raise the error Keras raises for a non-positive number of steps."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ValueError(
            f"{schedule_name}: argument `{argument}` must be > 0. Received: {argument}={value!r}. "
            f"It is a number of optimizer steps, e.g. {argument}=1000."
        )
