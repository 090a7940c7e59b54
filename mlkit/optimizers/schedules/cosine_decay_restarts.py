"""`CosineDecayRestarts`: cosine decay that starts over ("warm restarts").

The first period lasts `first_decay_steps` steps; each next one is `t_mul`
times longer and starts from `m_mul` times the previous start rate. Inside
a period the rate follows `CosineDecay` down to `alpha` times its start.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=1.0)
    >>> [round(float(schedule(step)), 4) for step in (0, 5, 10, 15)]
    [0.1, 0.05, 0.1, 0.05]
"""

import math

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    as_learning_rate,
    check_positive_steps,
    steps_as_array,
)


class CosineDecayRestarts(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        check_positive_steps("CosineDecayRestarts", "first_decay_steps", first_decay_steps)

    def __call__(self, step):
        fraction = steps_as_array(step) / self.first_decay_steps
        t_mul, m_mul = float(self._t_mul), float(self._m_mul)
        if t_mul == 1.0:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            # Periods grow geometrically: restart i begins at fraction (1 - t_mul**i) / (1 - t_mul).
            restart = np.floor(np.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            start = (1.0 - t_mul**restart) / (1.0 - t_mul)
            fraction = (fraction - start) / t_mul**restart
        cosine = 0.5 * m_mul**restart * (1.0 + np.cos(math.pi * fraction))
        rate = float(self.initial_learning_rate) * ((1.0 - self.alpha) * cosine + self.alpha)
        return as_learning_rate(rate, self.initial_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
