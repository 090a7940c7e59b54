"""`Adagrad`: step sizes that shrink with the squared gradients seen so far.

For each variable (the accumulator starts at `initial_accumulator_value`):

    accumulator = accumulator + g * g
    w = w - learning_rate * g / sqrt(accumulator + epsilon)

Weights that received large gradients take ever smaller steps.

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([1.0], name="w")
    >>> _ = optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0).apply_gradients([([3.0], w)])
    >>> round(float(w.numpy()[0]), 4)     # 1 - 0.1 * 3 / sqrt(9)
    0.9
"""

import numpy as np

from mlkit import initializers
from mlkit.optimizers.arguments import shared_arguments
from mlkit.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad's own arguments; the shared ones (clipping, weight decay, EMA, ...) go to `Optimizer`."""

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **shared_arguments(locals()))
        value = initial_accumulator_value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(
                f"{self._describe()}: `initial_accumulator_value` must be a number >= 0, got {value!r}."
            )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        """Slots: one accumulator per variable, filled with initial_accumulator_value."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=initializers.Constant(self.initial_accumulator_value)
        )

    def _update_arrays(self, gradient, value, slots, scratch, learning_rate):
        accumulator = slots[0]
        accumulator += np.square(gradient, out=scratch)
        # w -= learning_rate * g / sqrt(accumulator + epsilon)
        np.add(accumulator, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(gradient, scratch, out=scratch)
        scratch *= learning_rate
        value -= scratch

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config
