"""Packing: several variables stored end to end in one flat NumPy array.

An optimizer step does the same few element-wise operations on every
variable. On small arrays each NumPy call costs about a microsecond of
overhead whatever its size, so twelve operations on each of six variables
spend more time in overhead than in arithmetic. Packing the six values (and
each kind of slot: all momentums, all velocities, ...) into one flat array
each lets the optimizer run its twelve operations once, on all variables at
a time. Each variable keeps a view of its own segment as its value, so a
layer reads its weight exactly as before.

    >>> import numpy as np, mlkit
    >>> kernel = mlkit.Variable(np.ones((2, 2), "float32"), name="kernel")
    >>> bias = mlkit.Variable(np.zeros(2, "float32"), name="bias")
    >>> packed = PackedVariables([kernel, bias])
    >>> packed.flat += 1.0                     # one NumPy call updates both
    >>> bias.numpy().tolist()
    [1.0, 1.0]

`Variable.assign` replaces a variable's array with a new one (that is how
weights are loaded); `reclaim()` notices that and copies the new value back
into the variable's segment before the next step.
"""

import numpy as np


class PackedVariables:
    """Same-dtype variables whose values are views of one flat array."""

    def __init__(self, variables):
        self.variables = list(variables)
        dtype = self.variables[0].data.dtype
        sizes = [variable.data.size for variable in self.variables]
        self.flat = np.empty(sum(sizes), dtype=dtype)
        self.views = []
        start = 0
        for variable, size in zip(self.variables, sizes):
            self.views.append(self.flat[start : start + size].reshape(variable.data.shape))
            start += size
        for variable, view in zip(self.variables, self.views):
            view[...] = variable.data
            variable.data = view

    def reclaim(self):
        """Point every variable back at its segment, keeping its current value."""
        for variable, view in zip(self.variables, self.views):
            # `_value`, the stored array (`data` would apply a mixed-precision cast).
            if variable._value is not view:
                view[...] = variable._value
                variable._value = view

    def split(self, flat):
        """Views of a flat array of the same layout, one per variable."""
        views, start = [], 0
        for view in self.views:
            views.append(flat[start : start + view.size].reshape(view.shape))
            start += view.size
        return views


class OptimizerPacking:
    """The flat arrays of one optimizer: values, each slot kind, gradient, scratch."""

    def __init__(self, variables, slot_groups, decays):
        self.values = PackedVariables(variables)
        self.slots = [PackedVariables(group) for group in slot_groups]
        self.slot_arrays = [slot.flat for slot in self.slots]
        self.gradient = np.empty_like(self.values.flat)
        self.gradients = self.values.split(self.gradient)  # per-variable views, for clipping
        self.scratch = np.empty_like(self.values.flat)
        self.decay_all = all(decays)
        self._all = [self.values, *self.slots]

    def reclaim(self):
        for packed in self._all:
            packed.reclaim()
