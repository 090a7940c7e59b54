"""Decoupled weight decay, for `weight_decay=...` (what makes AdamW).

Part of `Optimizer` (see optimizer.py). Before the update rule runs, each
weight shrinks by a fraction of itself, independently of its gradient:

    w = w - w * weight_decay * learning_rate

Biases and normalization scales are often left out of the decay:
`exclude_from_weight_decay(var_names=["bias"])` skips every variable whose
name contains 'bias'.

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> kernel = mlkit.Variable([1.0], name="kernel")
    >>> bias = mlkit.Variable([1.0], name="bias")
    >>> optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    >>> optimizer.exclude_from_weight_decay(var_names=["bias"])
    >>> _ = optimizer.apply_gradients([([0.0], kernel), ([0.0], bias)])
    >>> round(float(kernel.numpy()[0]), 4), float(bias.numpy()[0])
    (0.95, 1.0)
"""

import re

import numpy as np


class WeightDecay:
    """Which variables decay, and the decay itself."""

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skip weight decay for these variables, or those whose name contains any of `var_names`."""
        if self.built:
            raise ValueError(
                f"{self._describe()}: `exclude_from_weight_decay()` can only be configured before the "
                "optimizer is built (before its first step)."
            )
        self._exclude_from_weight_decay_ids = {id(variable) for variable in var_list or ()}
        self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_from_weight_decay_ids:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        return pattern is None or pattern.search(variable.name) is None

    def _apply_weight_decay(self, variables, learning_rate, packed):
        """w -= w * weight_decay * learning_rate (decoupled from the gradient, as in Keras)."""
        if self.weight_decay is None:
            return
        factor = self.weight_decay * learning_rate
        if packed and packed.decay_all:
            np.multiply(packed.values.flat, factor, out=packed.scratch)
            packed.values.flat -= packed.scratch
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                value = variable.data
                value -= value * factor
