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

from mlkit.optimizers.schedules.learning_rate_schedule import as_learning_rate
from mlkit.optimizers.schedules.rate_decay import RateDecay


class ExponentialDecay(RateDecay):
    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        rate = float(self.initial_learning_rate) * float(self.decay_rate) ** self.decay_progress(step)
        return as_learning_rate(rate, self.initial_learning_rate)
