"""`Adam`: gradient descent with per-weight step sizes from running moments.

For each variable, with t = iterations + 1 and m, v starting at 0:

    m = m + (g - m) * (1 - beta_1)          running mean of the gradient
    v = v + (g * g - v) * (1 - beta_2)      running mean of its square
    alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    w = w - alpha * m / (sqrt(v) + epsilon)

The bias correction lives in `alpha` and `epsilon` is added after the
square root, as Keras does. With `amsgrad=True`, the largest v seen so far
(`v_hat = max(v_hat, v)`) replaces v in the last line.

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([1.0], name="w")
    >>> _ = optimizers.Adam(learning_rate=0.1).apply_gradients([([2.0], w)])
    >>> round(float(w.numpy()[0]), 4)       # the first step moves by ~learning_rate
    0.9
"""

import math

import numpy as np

from mlkit.optimizers.arguments import check_fraction, shared_arguments
from mlkit.optimizers.optimizer import Optimizer
from mlkit.utils.arguments import check_number


class Adam(Optimizer):
    """Adam's own arguments; the shared ones (clipping, weight decay, EMA, ...) go to `Optimizer`."""

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="adam",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **shared_arguments(locals()))
        self.beta_1 = check_fraction(self._describe(), "beta_1", beta_1, include_one=False)
        self.beta_2 = check_fraction(self._describe(), "beta_2", beta_2, include_one=False)
        self.epsilon = check_number(self._describe(), "epsilon", epsilon, above=0)
        self.amsgrad = amsgrad

    def build(self, var_list):
        """Slots: a momentum and a velocity per variable, created in pairs as in Keras (then velocity_hat)."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _prepare_step(self, learning_rate):
        t = self._step_count() + 1
        return learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)

    def _update_arrays(self, gradient, value, slots, scratch, alpha):
        momentum, velocity = slots[0], slots[1]
        # momentum += (g - momentum) * (1 - beta_1)
        np.subtract(gradient, momentum, out=scratch)
        scratch *= 1 - self.beta_1
        momentum += scratch
        # velocity += (g * g - velocity) * (1 - beta_2)
        np.square(gradient, out=scratch)
        scratch -= velocity
        scratch *= 1 - self.beta_2
        velocity += scratch
        if self.amsgrad:
            velocity = np.maximum(slots[2], velocity, out=slots[2])
        # w -= alpha * momentum / (sqrt(velocity) + epsilon)
        np.sqrt(velocity, out=scratch)
        scratch += self.epsilon
        np.divide(momentum, scratch, out=scratch)
        scratch *= alpha
        value -= scratch

    def get_config(self):
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}
        )
        return config
