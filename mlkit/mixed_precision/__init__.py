"""`mlkit.mixed_precision`: Keras's names for choosing the default dtype policy.

Mixed precision computes in float16 while the weights stay float32, so the
updates keep their precision. These are the names `keras.mixed_precision`
offers; they act on the same default as `mlkit.dtype_policies`.

    >>> from mlkit import layers, mixed_precision
    >>> mixed_precision.set_global_policy("mixed_float16")
    >>> dense = layers.Dense(2)
    >>> dense.compute_dtype, dense.variable_dtype
    ('float16', 'float32')
    >>> mixed_precision.set_global_policy("float32")
    >>> mixed_precision.global_policy()
    <DTypePolicy "float32">

Keras's `LossScaleOptimizer` is not offered: mlkit's float16 training is a
teaching aid on the CPU, not a speed-up, and needs no loss scaling.
"""

from mlkit.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy

# Keras keeps the older names beside the new ones; both mean the same.
Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy", "set_global_policy"]
