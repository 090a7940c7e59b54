"""`PolynomialDecay`: go from `initial_learning_rate` to `end_learning_rate`
in `decay_steps` steps along a polynomial of degree `power`.

    step = min(step, decay_steps)
    rate = (initial - end) * (1 - step / decay_steps) ** power + end

With `cycle=True` the decay restarts instead of staying at the end:
`decay_steps` is replaced by the first multiple of it that is >= step.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> [round(float(schedule(step)), 4) for step in (0, 5, 10, 20)]
    [0.1, 0.05, 0.0, 0.0]
"""

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    as_learning_rate,
    check_positive_steps,
    steps_as_array,
)


class PolynomialDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        check_positive_steps("PolynomialDecay", "decay_steps", decay_steps)

    def __call__(self, step):
        step = steps_as_array(step)
        if self.cycle:
            # The first multiple of decay_steps that is >= step (1 at step 0).
            multiple = np.where(step == 0, 1.0, np.ceil(step / self.decay_steps))
            decay_steps = self.decay_steps * multiple
        else:
            decay_steps = float(self.decay_steps)
            step = np.minimum(step, decay_steps)
        initial, end = float(self.initial_learning_rate), float(self.end_learning_rate)
        rate = (initial - end) * (1.0 - step / decay_steps) ** float(self.power) + end
        return as_learning_rate(rate, self.initial_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
