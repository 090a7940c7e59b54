"""A layer's dtype policy: which dtype its weights are stored in, which it computes in.

`dtype=` in a layer's constructor takes a dtype name or a policy. With
"mixed_float16", weights are stored in float32 but the computation runs in
float16: float inputs are cast to `compute_dtype` (see layer_inputs.py), and
float weights are read in it while `call` runs.

    >>> from mlkit import layers
    >>> dense = layers.Dense(2, dtype="mixed_float16")
    >>> dense.variable_dtype, dense.compute_dtype
    ('float32', 'float16')

`Layer` gets these from `DtypePolicyAttributes`.
"""

import numpy as np

from mlkit import dtype_policies


class DtypePolicyAttributes:
    """`dtype_policy`, `dtype`, `variable_dtype`, `compute_dtype`, `input_dtype` (a mixin of `Layer`)."""

    @property
    def dtype_policy(self):
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = dtype_policies.get(value)
        self._dtype_policy = policy
        self._mixed_precision = policy.compute_dtype != policy.variable_dtype
        # Compared by identity in every call (a dtype's .name is slow to build).
        self._compute_np_dtype = np.dtype(policy.compute_dtype)

    @property
    def dtype(self):
        """The dtype of the weights (an alias of `variable_dtype`)."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype of the computation: float inputs are cast to it (if autocast)."""
        return self._dtype_policy.compute_dtype

    @property
    def input_dtype(self):
        """The dtype inputs are converted to (the compute dtype)."""
        return self._dtype_policy.compute_dtype

    def _variable_read_dtype(self, outer_dtype):
        """The dtype float variables are read in during this layer's call, by Keras's rules.

        A mixed-precision layer opens a scope in its compute dtype; inside an
        open scope, a layer switches it to its own compute dtype, or closes it
        (None) if it has autocast=False or computes in a non-float dtype.
        """
        compute_dtype = self._dtype_policy.compute_dtype
        if outer_dtype is None:
            return compute_dtype
        if not self.autocast or np.dtype(compute_dtype).kind != "f":
            return None
        return compute_dtype
