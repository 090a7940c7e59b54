"""`InverseTimeDecay`: the learning rate falls like 1 / t.

    rate(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)

With `staircase=True`, `step / decay_steps` is rounded down first.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> [round(float(schedule(step)), 4) for step in (0, 1, 2)]
    [0.1, 0.0667, 0.05]
"""

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    as_learning_rate,
    check_positive_steps,
    steps_as_array,
)


class InverseTimeDecay(LearningRateSchedule):
    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        check_positive_steps("InverseTimeDecay", "decay_steps", decay_steps)

    def __call__(self, step):
        progress = steps_as_array(step) / self.decay_steps
        if self.staircase:
            progress = np.floor(progress)
        rate = float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * progress)
        return as_learning_rate(rate, self.initial_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
