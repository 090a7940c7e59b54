"""An optimizer's state: its variables, how they are created, saved and loaded.

Part of `Optimizer` (see optimizer.py). Every piece of state an optimizer
keeps is a non-trainable `Variable` listed in `optimizer.variables`, in the
order it was created: `iteration`, `learning_rate` (when it is a number),
the EMA averages, the gradient accumulators, then the slots. Model saving
writes that list under the keys '0', '1', ... and reads it back in order.

A slot is named after the variable it follows, so Adam's momentum for the
variable 'dense/kernel' is 'dense_kernel_momentum':

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> kernel = mlkit.Variable([1.0, 2.0], name="kernel")
    >>> optimizer = optimizers.Adam()
    >>> optimizer.build([kernel])
    >>> [variable.name for variable in optimizer.variables]
    ['iteration', 'learning_rate', 'kernel_momentum', 'kernel_velocity']
"""

import warnings

import numpy as np

from mlkit import initializers
from mlkit.ops.tensor import Tensor
from mlkit.variable import Variable


class OptimizerVariables:
    """Creating, listing, saving and loading the variables of an optimizer."""

    def _make_variable(self, initializer, name, dtype, shape=None, aggregation="none"):
        variable = Variable(
            initializer, shape=shape, dtype=dtype, trainable=False, aggregation=aggregation, name=name
        )
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    @property
    def variables(self):
        """[iteration, learning_rate (if a number), EMA averages, accumulators, slots...]."""
        return self._variables[:]

    @property
    def iterations(self):
        """How many steps this optimizer has applied (an int64 variable)."""
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.data // self.gradient_accumulation_steps)
        return self._iterations

    def _step_count(self):
        """`iterations` as a Python int (counting only real updates under accumulation)."""
        count = int(self._iterations.data)
        return count // self.gradient_accumulation_steps if self.gradient_accumulation_steps else count

    # -- creating slots ------------------------------------------------------
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        """A new non-trainable optimizer variable, listed in `variables`."""
        return self._make_variable(initializers.get(initializer), name or "variable", dtype, shape, aggregation)

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like `reference_variable`, named '<its path with _>_<name>'."""
        name = reference_variable.path.replace("/", "_") + "_" + (name or "var")
        return self.add_variable(
            reference_variable.shape, initializer=initializer, dtype=reference_variable.dtype, name=name
        )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable (a list); with a list of names, a tuple of such lists."""
        names = [name] if isinstance(name, str) else list(name)
        initializer_list = initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        if len(names) != len(initializer_list):
            raise ValueError(
                f"{self._describe()}: the number of provided names must match the number of provided "
                f"initializers. Received name={name!r}, initializer={initializer!r}"
            )
        groups = tuple([] for _ in names)
        for variable in trainable_variables:
            # Interleaved per variable, as Keras creates them.
            for group, slot_name, slot_initializer in zip(groups, names, initializer_list):
                group.append(self.add_variable_from_reference(variable, slot_name, slot_initializer))
        self._slot_groups.extend(groups)
        return groups[0] if isinstance(name, str) else groups

    def _per_variable(self, variables, name):
        """Base-class state per variable (EMA, accumulators): not an update slot."""
        return [self.add_variable_from_reference(variable, name) for variable in variables]

    # -- the variables being trained -------------------------------------------
    def _check_is_variable(self, position, variable, gradient=None):
        if not isinstance(variable, Variable):
            flipped = (
                " It looks like gradients and variables are swapped: write zip(gradients, variables)."
                if isinstance(gradient, Variable)
                else " Pass e.g. model.trainable_variables."
            )
            raise TypeError(
                f"{self._describe()}: can only train mlkit Variables, but variable {position} is a "
                f"{type(variable).__name__}.{flipped}"
            )

    def _get_variable_index(self, variable):
        index = self._trainable_variables_indices.get(id(variable))
        if index is None:
            raise ValueError(
                f"Unknown variable: {getattr(variable, 'path', variable)!r}. {self._describe()} can only "
                "update the variables it was built with (on its first step). To train a new set of "
                "variables, create a new optimizer."
            )
        return index

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    # -- saving and loading ----------------------------------------------------
    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                f"{self._describe()}: you are calling `set_weights()` on an optimizer that has not yet "
                "been built. Call `optimizer.build(trainable_variables)` first."
            )
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(
                f"{self._describe()}: set_weights got {len(weights)} arrays, but the optimizer has "
                f"{len(self._variables)} variables ({[v.path for v in self._variables]})."
            )
        for variable, weight in zip(self._variables, weights):
            if np.shape(weight) != variable.shape:
                raise ValueError(
                    f"{self._describe()}: optimizer variable {variable.path!r} has shape {variable.shape}, "
                    f"not compatible with provided weight shape {np.shape(weight)}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write `variables` into `store` under keys '0', '1', ..."""
        for index, variable in enumerate(self._variables):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store):
        """Read `variables` back from `store` (the optimizer must be built)."""
        if len(store.keys()) != len(self._variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has {len(store.keys())} "
                "variables. "
            )
            if not self.built:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for index, variable in enumerate(self._variables):
            variable.assign(store[str(index)])
