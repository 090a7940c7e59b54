"""`RMSprop`: divide each gradient by a running root mean square of it.

For each variable (velocity, and optionally average_gradient and momentum,
all starting at 0):

    velocity = rho * velocity + (1 - rho) * g * g
    centered=False:  denominator = velocity + epsilon
    centered=True:   average_gradient = rho * average_gradient + (1 - rho) * g
                     denominator = velocity - average_gradient ** 2 + epsilon
    increment = learning_rate * g / sqrt(denominator)
    momentum=0:      w = w - increment
    momentum>0:      m = momentum * m + increment;  w = w - m

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([10.0], name="w")
    >>> _ = optimizers.RMSprop(learning_rate=0.1).apply_gradients([([10.0], w)])
    >>> round(float(w.numpy()[0]), 4)     # 10 - 0.1 * 10 / sqrt(0.1 * 100)
    9.6838
"""

import numpy as np

from mlkit.optimizers.arguments import check_fraction, shared_arguments
from mlkit.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop's own arguments; the shared ones (clipping, weight decay, EMA, ...) go to `Optimizer`."""

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **shared_arguments(locals()))
        self.rho = check_fraction(self._describe(), "rho", rho)
        self.momentum = check_fraction(self._describe(), "momentum", momentum)
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        """Slots: velocities, then momentums (if momentum > 0), then average gradients (if centered)."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def _update_arrays(self, gradient, value, slots, scratch, learning_rate):
        slots = iter(slots)
        velocity = next(slots)
        momentum = next(slots) if self._momentums else None
        average_gradient = next(slots) if self._average_gradients else None
        rho = self.rho
        # velocity = rho * velocity + (1 - rho) * g * g
        np.square(gradient, out=scratch)
        scratch *= 1 - rho
        velocity *= rho
        velocity += scratch
        if average_gradient is not None:
            # average_gradient = rho * average_gradient + (1 - rho) * g
            np.multiply(gradient, 1 - rho, out=scratch)
            average_gradient *= rho
            average_gradient += scratch
            # denominator = velocity - average_gradient ** 2 + epsilon
            np.square(average_gradient, out=scratch)
            np.subtract(velocity, scratch, out=scratch)
            scratch += self.epsilon
        else:
            np.add(velocity, self.epsilon, out=scratch)
        # increment = learning_rate * g / sqrt(denominator)
        np.sqrt(scratch, out=scratch)
        np.divide(gradient, scratch, out=scratch)
        scratch *= learning_rate
        if momentum is not None:
            momentum *= self.momentum
            momentum += scratch
            value -= momentum
        else:
            value -= scratch

    def get_config(self):
        config = super().get_config()
        config.update(
            {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}
        )
        return config
