"""`ExponentialDecay`: multiply the learning rate by `decay_rate` every
`decay_steps` steps.

    rate(step) = initial_learning_rate * decay_rate ** (step / decay_steps)

With `staircase=True` the exponent is `floor(step / decay_steps)`, so the
rate drops in steps instead of continuously.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    >>> [round(float(schedule(step)), 4) for step in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]
"""

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    as_learning_rate,
    check_positive_steps,
    steps_as_array,
)


class ExponentialDecay(LearningRateSchedule):
    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        check_positive_steps("ExponentialDecay", "decay_steps", decay_steps)

    def __call__(self, step):
        exponent = steps_as_array(step) / self.decay_steps
        if self.staircase:
            exponent = np.floor(exponent)
        rate = float(self.initial_learning_rate) * float(self.decay_rate) ** exponent
        return as_learning_rate(rate, self.initial_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }
