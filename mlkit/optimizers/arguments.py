"""The checks an optimizer runs on its constructor arguments.

`Optimizer.__init__` checks the arguments every optimizer shares (clipping,
weight decay, loss scaling, gradient accumulation, EMA) with
`check_base_arguments`; an optimizer checks its own hyperparameters, e.g. a
decay rate that must lie between 0 and 1, with `check_fraction`.

    >>> check_fraction("Adam 'adam'", "beta_1", 0.9, include_one=False)
    0.9
    >>> check_fraction("Adam 'adam'", "beta_1", 1.0, include_one=False)
    Traceback (most recent call last):
    ...
    ValueError: Adam 'adam': `beta_1` must be a float in [0, 1), got beta_1=1.0.
"""

import numpy as np

# The arguments of `Optimizer` that every optimizer's signature repeats, as Keras's do.
SHARED_ARGUMENTS = (
    "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
    "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
)


def shared_arguments(arguments):
    """The shared arguments (and any **kwargs) in an optimizer's `locals()`, to hand to `Optimizer`."""
    return {name: arguments[name] for name in SHARED_ARGUMENTS if name in arguments} | arguments.get("kwargs", {})


def is_number(value):
    """Whether `value` is a real number (a bool is not one)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_fraction(owner, argument, value, include_one=True):
    """`value` if it is a number in [0, 1] ([0, 1) without `include_one`), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        0 <= value <= 1 if include_one else 0 <= value < 1
    ):
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{owner}: `{argument}` must be a float in {interval}, got {argument}={value!r}.")
    return value


def check_base_arguments(
    owner, clipnorm, clipvalue, global_clipnorm, weight_decay, loss_scale_factor,
    gradient_accumulation_steps, use_ema, ema_momentum, ema_overwrite_frequency,
):
    """Raise a ValueError for the first base argument of `Optimizer` that is out of range."""
    clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
    given = {key: value for key, value in clips.items() if value is not None}
    if len(given) > 1:
        raise ValueError(
            f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
        )
    for key, value in given.items():
        if not is_number(value) or not value > 0:
            raise ValueError(f"{owner}: `{key}` must be a positive number, got {key}={value!r}.")
    if weight_decay is not None and (not is_number(weight_decay) or not weight_decay >= 0):
        raise ValueError(f"{owner}: `weight_decay` must be a number >= 0 or None, got {weight_decay!r}.")
    if loss_scale_factor is not None and (not is_number(loss_scale_factor) or not loss_scale_factor > 0):
        raise ValueError(
            f"{owner}: `loss_scale_factor` must be a positive number or None, got {loss_scale_factor!r}."
        )
    steps = gradient_accumulation_steps
    if steps and not (isinstance(steps, int) and steps >= 2):
        raise ValueError(
            "`gradient_accumulation_steps` must be an integer >= 2. "
            f"Received: gradient_accumulation_steps={steps}"
        )
    if use_ema:
        if not is_number(ema_momentum) or not 0 <= ema_momentum <= 1:
            raise ValueError(
                f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
            )
        frequency = ema_overwrite_frequency
        if frequency and (not isinstance(frequency, int) or frequency < 1):
            raise ValueError(
                f"`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                f"ema_overwrite_frequency={frequency}"
            )
