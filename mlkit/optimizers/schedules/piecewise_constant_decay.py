"""`PiecewiseConstantDecay`: a fixed learning rate per range of steps.

`values[0]` while step <= boundaries[0], `values[1]` while
boundaries[0] < step <= boundaries[1], ..., and `values[-1]` after the last
boundary: one more value than boundaries.

    >>> from mlkit.optimizers import schedules
    >>> schedule = schedules.PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.01, 0.001])
    >>> [round(float(schedule(step)), 6) for step in (0, 100, 101, 200, 201)]
    [0.1, 0.1, 0.01, 0.01, 0.001]
"""

import numpy as np

from mlkit.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    as_learning_rate,
    steps_as_array,
)


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        super().__init__()
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of "
                f"values. Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}. There is one value before the first "
                "boundary, one between each pair and one after the last."
            )
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError(
                f"PiecewiseConstantDecay: boundaries must be strictly increasing, got {boundaries}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        # Index i such that boundaries[i-1] < step <= boundaries[i].
        boundaries = np.asarray(self.boundaries, dtype=np.float64)
        index = np.searchsorted(boundaries, steps_as_array(step), side="left")
        rate = np.asarray(self.values, dtype=np.float64)[index]
        return as_learning_rate(rate, self.values[0])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}
