"""`SGD`: gradient descent, optionally with (Nesterov) momentum.

Without momentum:            w = w - learning_rate * g
With momentum (a velocity v per variable, starting at 0):

    v = momentum * v - learning_rate * g
    w = w + v                                  (nesterov=False)
    w = w + momentum * v - learning_rate * g   (nesterov=True)

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([1.0], name="w")
    >>> optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.5)
    >>> for _ in range(2):
    ...     _ = optimizer.apply_gradients([([1.0], w)])
    >>> w.numpy().tolist()        # v = -0.5 then -0.75: w = 1 - 0.5 - 0.75
    [-0.25]
"""

import numpy as np

from mlkit.optimizers.arguments import shared_arguments
from mlkit.optimizers.optimizer import Optimizer
from mlkit.utils.arguments import check_bool


class SGD(Optimizer):
    """SGD's own arguments; the shared ones (clipping, weight decay, EMA, ...) go to `Optimizer`."""

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="SGD",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **shared_arguments(locals()))
        if not isinstance(momentum, float) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = check_bool(self._describe(), "nesterov", nesterov)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _update_arrays(self, gradient, value, slots, scratch, learning_rate):
        step = np.multiply(gradient, learning_rate, out=scratch)  # learning_rate * g
        if not slots:
            value -= step
            return
        velocity = slots[0]
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            value -= step
            value += np.multiply(velocity, self.momentum, out=scratch)
        else:
            value += velocity

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
