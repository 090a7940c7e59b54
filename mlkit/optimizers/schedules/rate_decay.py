"""`RateDecay`: what `ExponentialDecay` and `InverseTimeDecay` share.

Both take the same arguments and measure progress the same way: the step
divided by `decay_steps`, rounded down with `staircase=True`. They differ
only in the curve they draw from that progress, so each one writes only
its `__call__`.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=1.0, staircase=True)
    >>> schedule.decay_progress(6).tolist(), schedule.get_config()["staircase"]
    (1.0, True)
"""

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    check_positive_steps,
    steps_as_array,
)


class RateDecay(LearningRateSchedule):
    """A schedule driven by `decay_rate` once every `decay_steps` steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        check_positive_steps(type(self).__name__, "decay_steps", decay_steps)

    def decay_progress(self, step):
        """`step / decay_steps` in float64, rounded down with `staircase=True`."""
        progress = steps_as_array(step) / self.decay_steps
        return np.floor(progress) if self.staircase else progress

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
