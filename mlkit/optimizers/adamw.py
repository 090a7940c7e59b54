"""`AdamW`: Adam with decoupled weight decay.

Before each Adam step every weight shrinks a little, independently of the
gradient:

    w = w - w * weight_decay * learning_rate

then the Adam update runs as in `Adam`. Any optimizer accepts
`weight_decay`; AdamW only differs by requiring it (default 0.004).

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([1.0], name="w")
    >>> _ = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([([0.0], w)])
    >>> round(float(w.numpy()[0]), 4)      # zero gradient: only the decay, 1 - 1 * 0.5 * 0.1
    0.95
"""

from mlkit.optimizers.adam import Adam
from mlkit.optimizers.arguments import shared_arguments


class AdamW(Adam):
    """Adam's arguments with `weight_decay` required; the rest go to `Adam` in `**kwargs`."""

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name="adamw",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            name=name,
            **shared_arguments(locals()),
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
