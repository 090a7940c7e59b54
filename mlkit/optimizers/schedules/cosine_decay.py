"""`CosineDecay`: half a cosine wave from the start rate down to
`alpha` times it, after an optional linear warmup.

Without warmup (`warmup_target=None`), for step <= decay_steps:

    cosine = 0.5 * (1 + cos(pi * step / decay_steps))
    rate = initial_learning_rate * ((1 - alpha) * cosine + alpha)

and the rate stays at `alpha * initial_learning_rate` afterwards. With a
`warmup_target`, the rate first rises linearly from `initial_learning_rate`
to `warmup_target` over `warmup_steps` steps, then decays from
`warmup_target` as above over the next `decay_steps` steps.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)
    >>> [round(float(schedule(step)), 4) for step in (0, 1, 5, 10, 15, 99)]
    [0.0, 0.02, 0.1, 0.05, 0.0, 0.0]
"""

import math

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    as_learning_rate,
    check_positive_steps,
    steps_as_array,
)


class CosineDecay(LearningRateSchedule):
    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        check_positive_steps("CosineDecay", "decay_steps", decay_steps)
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, (int, float)) or warmup_steps < 0:
            raise ValueError(
                f"CosineDecay: warmup_steps must be a number >= 0, got warmup_steps={warmup_steps!r}."
            )

    def _decayed(self, step, start_rate):
        cosine = 0.5 * (1.0 + np.cos(math.pi * step / self.decay_steps))
        return start_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = steps_as_array(step)
        initial = float(self.initial_learning_rate)
        if self.warmup_target is None:
            rate = self._decayed(np.minimum(step, self.decay_steps), initial)
        else:
            target, warmup_steps = float(self.warmup_target), float(self.warmup_steps)
            step = np.minimum(step, self.decay_steps + warmup_steps)
            warming_up = (target - initial) * step / max(warmup_steps, 1.0) + initial
            decaying = self._decayed(step - warmup_steps, target)
            rate = np.where(step < warmup_steps, warming_up, decaying)
        return as_learning_rate(rate, self.initial_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }
