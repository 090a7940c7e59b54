"""`InverseTimeDecay`: the learning rate falls like 1 / t.

    rate(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)

With `staircase=True`, `step / decay_steps` is rounded down first.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> [round(float(schedule(step)), 4) for step in (0, 1, 2)]
    [0.1, 0.0667, 0.05]
"""

from mlkit.optimizers.schedules.learning_rate_schedule import as_learning_rate
from mlkit.optimizers.schedules.rate_decay import RateDecay


class InverseTimeDecay(RateDecay):
    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        rate = float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * self.decay_progress(step))
        return as_learning_rate(rate, self.initial_learning_rate)
