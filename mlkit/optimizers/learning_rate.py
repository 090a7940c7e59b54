"""How an optimizer holds, checks, changes and saves its learning rate.

Part of `Optimizer` (see optimizer.py). The learning rate is one of three
things: a number, kept in a variable named 'learning_rate' (so it is saved
with the optimizer and can be set between steps); a `LearningRateSchedule`,
called with `iterations` before every step; or a function of no arguments.

    >>> from mlkit import optimizers
    >>> optimizer = optimizers.SGD(learning_rate=0.1)
    >>> optimizer.learning_rate = 0.05            # e.g. from a callback
    >>> round(float(optimizer.learning_rate.numpy()), 4)
    0.05
    >>> schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> optimizers.SGD(learning_rate=schedule).get_config()["learning_rate"]["class_name"]
    'ExponentialDecay'
"""

import numpy as np

from mlkit import backend
from mlkit.ops.core import data_of
from mlkit.optimizers.arguments import is_number
from mlkit.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from mlkit.variable import Variable


class LearningRateHandling:
    """The `learning_rate` property of an optimizer, and the value each step uses."""

    def _init_learning_rate(self, learning_rate):
        """Keep a schedule or function as it is; a number in the 'learning_rate' variable."""
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = self._make_variable(
                self._checked_learning_rate(learning_rate, strict=True), "learning_rate", backend.floatx()
            )

    def _checked_learning_rate(self, value, strict):
        """`value` as a float, or a clear error. `strict`: the constructor's float-only rule."""
        if strict and not isinstance(value, (float, np.floating)):
            hint = f" Write {value}.0 for a number." if is_number(value) else ""
            raise ValueError(
                f"{self._describe()}: argument `learning_rate` should be a float, an instance of "
                "LearningRateSchedule, or a callable (that takes no arguments and returns the learning "
                f"rate). Received instead: learning_rate={value!r}.{hint}"
            )
        try:
            number = float(data_of(value))
        except (TypeError, ValueError):
            raise ValueError(
                f"{self._describe()}: the learning rate must be a number or a LearningRateSchedule, "
                f"got {value!r} of type {type(value).__name__}."
            ) from None
        if not number >= 0:
            raise ValueError(
                f"{self._describe()}: the learning rate must be >= 0, got {number}. "
                "A negative learning rate would climb the loss instead of descending it."
            )
        return number

    @property
    def learning_rate(self):
        """The current learning rate (a schedule evaluated at `iterations`)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(self._checked_learning_rate(learning_rate, strict=False))
        else:
            raise TypeError(
                f"{self._describe()} was created with a `LearningRateSchedule` (or callable) as its "
                "`learning_rate`, hence its learning rate is not settable. If you need the learning rate "
                "to be settable, create the optimizer with a float `learning_rate`."
            )
        if previous is not None and self._learning_rate is not previous:
            self._variables.remove(previous)

    def _current_learning_rate(self):
        """The learning rate for this step, as a Python float (checked >= 0)."""
        source = self._learning_rate
        if isinstance(source, Variable):
            value = float(source.data)
        elif isinstance(source, LearningRateSchedule):
            value = float(data_of(source(self._iterations)))
        else:
            value = float(data_of(source()))
        if not value >= 0.0:
            raise ValueError(
                f"{self._describe()}: the learning rate is {value} at iteration {int(self._iterations.data)}; "
                "it must be a number >= 0. Check the schedule or the value you assigned."
            )
        return value

    def _learning_rate_config(self):
        """The learning rate as `get_config` writes it: a float, a schedule's config, or a function's."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            from mlkit.optimizers.schedules import serialize

            return serialize(self._learning_rate)
        if isinstance(self._learning_rate, Variable):
            return float(self._learning_rate.data)
        from mlkit.saving import serialize_keras_object

        return serialize_keras_object(self._learning_rate)


def learning_rate_from_config(config, custom_objects=None):
    """`config` with a saved schedule (a dict) turned back into a schedule object."""
    config = dict(config)
    if isinstance(config.get("learning_rate"), dict):
        from mlkit.optimizers.schedules import deserialize

        config["learning_rate"] = deserialize(config["learning_rate"], custom_objects=custom_objects)
    return config
