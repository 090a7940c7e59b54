"""`Optimizer`: the base class that turns gradients into weight updates.

An optimizer owns its state: `iterations` (how many steps it has applied,
kept across `fit` calls), the learning rate, and one or more *slot*
variables per trained variable (Adam's momentums and velocities). A step is

    optimizer.apply_gradients(zip(gradients, variables))

which, like Keras, builds the slots on first use, skips variables whose
gradient is None, unscales (`loss_scale_factor`), clips (`clipvalue`,
`clipnorm` or `global_clipnorm`), applies weight decay, calls
`update_step(gradient, variable, learning_rate)` for each variable, applies
each variable's `constraint`, and finally adds 1 to `iterations`.

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([1.0, 2.0], name="w")
    >>> optimizer = optimizers.SGD(learning_rate=0.1)
    >>> _ = optimizer.apply_gradients([([1.0, 1.0], w)])
    >>> [round(x, 4) for x in w.numpy().tolist()], int(optimizer.iterations)
    ([0.9, 1.9], 1)

`optimizer.variables`, the list model saving stores and restores, is in
this order: `iteration`, `learning_rate` (only when the learning rate is a
number, not a schedule), the EMA averages (`use_ema=True`), the gradient
accumulators (`gradient_accumulation_steps`), then the slots in the order
`build` created them (Adam: every momentum, then every velocity).

Writing your own optimizer: override `build(variables)` (call
`super().build(variables)` first, then create slots with
`add_variable_from_reference` or `add_optimizer_variables`) and
`update_step(gradient, variable, learning_rate)` (change the variable with
`self.assign`, `self.assign_add`, `self.assign_sub`).

How the built-in optimizers stay fast (an mlkit detail): each one writes its
math once, in `_update_arrays`, as a few in-place NumPy operations on plain
arrays. When a step updates every variable the optimizer was built with,
their values and slots live end to end in flat arrays (see `packing.py`)
and `_update_arrays` runs once for all of them; otherwise it runs once per
variable, on that variable's own segment.
"""

import math
import re
import warnings

import numpy as np

from mlkit import backend, initializers
from mlkit.ops.autodiff import no_recording
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor
from mlkit.optimizers import clipping
from mlkit.optimizers.packing import PackedVariables
from mlkit.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from mlkit.utils.naming import to_snake_case, unique_name
from mlkit.variable import Variable

def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class Optimizer:
    def __init__(
        self,
        learning_rate,
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
        self._initialized = True
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            hint = " Use `learning_rate=` (Keras 3 has no `lr`)." if "lr" in kwargs else ""
            raise ValueError(f"{type(self).__name__}: argument(s) not recognized: {kwargs}.{hint}")
        self.name = unique_name(to_snake_case(type(self).__name__)) if name is None else name

        self._check_base_arguments(
            clipnorm, clipvalue, global_clipnorm, weight_decay, loss_scale_factor,
            gradient_accumulation_steps, use_ema, ema_momentum, ema_overwrite_frequency,
        )
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps

        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variable_ids = []
        self._trainable_variables_indices = {}
        self._slot_groups = []  # per-variable slot lists, in creation order (used by _update_arrays)
        self._packed = None  # None: not decided yet; False: cannot pack; else a _Packing
        self._exclude_from_weight_decay_ids = set()
        self._exclude_from_weight_decay_pattern = None

        self._iterations = self._make_variable(0, "iteration", "int64")
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = self._make_variable(
                self._checked_learning_rate(learning_rate, strict=True), "learning_rate", backend.floatx()
            )

    def _check_base_arguments(
        self, clipnorm, clipvalue, global_clipnorm, weight_decay, loss_scale_factor,
        gradient_accumulation_steps, use_ema, ema_momentum, ema_overwrite_frequency,
    ):
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = {key: value for key, value in clips.items() if value is not None}
        if len(given) > 1:
            raise ValueError(
                f"{self._describe()}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for key, value in given.items():
            if not _is_number(value) or not value > 0:
                raise ValueError(f"{self._describe()}: `{key}` must be a positive number, got {key}={value!r}.")
        if weight_decay is not None and (not _is_number(weight_decay) or not weight_decay >= 0):
            raise ValueError(
                f"{self._describe()}: `weight_decay` must be a number >= 0 or None, got {weight_decay!r}."
            )
        if loss_scale_factor is not None and (not _is_number(loss_scale_factor) or not loss_scale_factor > 0):
            raise ValueError(
                f"{self._describe()}: `loss_scale_factor` must be a positive number or None, "
                f"got {loss_scale_factor!r}."
            )
        steps = gradient_accumulation_steps
        if steps and not (isinstance(steps, int) and steps >= 2):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={steps}"
            )
        if use_ema:
            if not _is_number(ema_momentum) or not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
                )
            frequency = ema_overwrite_frequency
            if frequency and (not isinstance(frequency, int) or frequency < 1):
                raise ValueError(
                    f"`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={frequency}"
                )

    def __getattr__(self, name):
        # Only reached for missing attributes: explain the usual cause.
        if "_initialized" not in self.__dict__ and not name.startswith("__"):
            raise RuntimeError(
                f"In optimizer '{type(self).__name__}', you forgot to call `super().__init__(...)` as the "
                "first statement of `__init__()`. Add it (passing learning_rate and **kwargs)."
            )
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, iterations={int(self._iterations.data)}>"

    def _describe(self):
        return f"{type(self).__name__} {self.name!r}"

    # -- variables ---------------------------------------------------------
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

    def build(self, variables):
        """Remember the variables to train and create the base-class state.

        Subclasses call `super().build(variables)` first, then add their slots.
        """
        variables = list(variables)
        seen = set()
        for position, variable in enumerate(variables):
            self._check_is_variable(position, variable)
            if id(variable) in seen:
                raise ValueError(
                    f"{self._describe()}: variable {variable.path!r} appears twice in the variables to train; "
                    "pass each variable once."
                )
            seen.add(id(variable))
        if self.use_ema:
            self._model_variables_moving_average = self._per_variable(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self._per_variable(variables, "gradient_accumulator")
        self._trainable_variables = variables[:]
        self._trainable_variable_ids = [id(variable) for variable in variables]
        self._trainable_variables_indices = {id(variable): index for index, variable in enumerate(variables)}
        self.built = True

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

    # -- learning rate -----------------------------------------------------
    def _checked_learning_rate(self, value, strict):
        """`value` as a float, or a clear error. `strict`: the constructor's float-only rule."""
        if strict and not isinstance(value, (float, np.floating)):
            hint = f" Write {value}.0 for a number." if _is_number(value) else ""
            raise ValueError(
                f"{self._describe()}: argument `learning_rate` should be a float, an instance of "
                "LearningRateSchedule, or a callable (that takes no arguments and returns the learning "
                f"rate). Received instead: learning_rate={value!r}.{hint}"
            )
        try:
            number = float(data_of(value))
        except (TypeError, ValueError):
            raise ValueError(
                f"{self._describe()}: the learning rate must be a number or a LearningRateSchedule, "
                f"got {value!r} of type {type(value).__name__}."
            ) from None
        if not number >= 0:
            raise ValueError(
                f"{self._describe()}: the learning rate must be >= 0, got {number}. "
                "A negative learning rate would climb the loss instead of descending it."
            )
        return number

    @property
    def learning_rate(self):
        """The current learning rate (a schedule evaluated at `iterations`)."""
        if isinstance(self._learning_rate, LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(self._checked_learning_rate(learning_rate, strict=False))
        else:
            raise TypeError(
                f"{self._describe()} was created with a `LearningRateSchedule` (or callable) as its "
                "`learning_rate`, hence its learning rate is not settable. If you need the learning rate "
                "to be settable, create the optimizer with a float `learning_rate`."
            )
        if previous is not None and self._learning_rate is not previous:
            self._variables.remove(previous)

    def _current_learning_rate(self):
        """The learning rate for this step, as a Python float (checked >= 0)."""
        source = self._learning_rate
        if isinstance(source, Variable):
            value = float(source.data)
        elif isinstance(source, LearningRateSchedule):
            value = float(data_of(source(self._iterations)))
        else:
            value = float(data_of(source()))
        if not value >= 0.0:
            raise ValueError(
                f"{self._describe()}: the learning rate is {value} at iteration {int(self._iterations.data)}; "
                "it must be a number >= 0. Check the schedule or the value you assigned."
            )
        return value

    # -- applying gradients ------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply (gradient, variable) pairs; returns `iterations`."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        for position, pair in enumerate(pairs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(
                    f"{self._describe()}: apply_gradients expects (gradient, variable) pairs, e.g. "
                    f"zip(gradients, variables); item {position} is a {type(pair).__name__}."
                )
        grads, variables = zip(*pairs)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update `trainable_variables` (default: those built with) from `grads`."""
        grads = list(grads)
        if not grads:
            if trainable_variables is not None:
                warnings.warn(
                    f"The model does not have any trainable weights: {self._describe()} has nothing "
                    "to update, so training changes nothing. Weights kept as NumPy arrays or "
                    "constant tensors are not trained: create them with self.add_weight(...) in "
                    "build() or __init__(); and check that no layer is frozen (trainable=False).",
                    stacklevel=2,
                )
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{self._describe()}: when passing `grads` without `variables`, the optimizer must "
                    "already be built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first, or pass the variables: optimizer.apply(grads, variables)."
                )
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{self._describe()}: received {len(grads)} gradients for {len(variables)} variables. "
                "Pass exactly one gradient per variable, in the same order."
            )
        if not self.built:
            for position, (gradient, variable) in enumerate(zip(grads, variables)):
                self._check_is_variable(position, variable, gradient)
            self.build(variables)
        if self._packed is None:
            self._packed = self._pack() or False
        packed = self._packed
        if packed:
            packed.reclaim()
            if list(map(id, variables)) == self._trainable_variable_ids and all(g is not None for g in grads):
                self._apply_packed(packed, grads)
                return
        self._apply_each(grads, variables)

    def _gradient_array(self, gradient, variable):
        array = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if array.shape != variable.shape:
            raise ValueError(
                f"{self._describe()}: the gradient for variable {variable.path!r} has shape {array.shape}, "
                f"but the variable has shape {variable.shape}. Pass the gradients in the same order as "
                "the variables, e.g. zip(tape.gradient(loss, variables), variables)."
            )
        return array

    def _apply_packed(self, packed, grads):
        """Fast path: every built variable gets a gradient; one flat update."""
        variables = self._trainable_variables
        arrays = []
        for gradient, view, variable in zip(grads, packed.gradients, variables):
            array = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if array.shape != view.shape:
                self._gradient_array(gradient, variable)  # raises the error that explains it
            arrays.append(array.reshape(-1))
        np.concatenate(arrays, out=packed.gradient, casting="same_kind")
        self._process_and_update(packed.gradients, variables, packed)
        self._finish_step(variables)

    def _apply_each(self, grads, variables):
        """General path: any subset of the built variables, None gradients skipped."""
        kept_grads, kept_variables, missing = [], [], []
        for position, (gradient, variable) in enumerate(zip(grads, variables)):
            self._check_is_variable(position, variable, gradient)
            self._get_variable_index(variable)
            if gradient is None:
                missing.append(variable.path)
                continue
            array = self._gradient_array(gradient, variable)
            # A private copy in the variable's dtype: clipping and unscaling work in place.
            kept_grads.append(np.array(array, dtype=variable.data.dtype))
            kept_variables.append(variable)
        if not kept_grads:
            raise ValueError(
                f"{self._describe()}: no gradients provided for any variable (all are None). The loss "
                "does not depend on the variables: check that it is computed from the model's output "
                "inside the GradientTape."
            )
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        self._process_and_update(kept_grads, kept_variables, None)
        self._finish_step(kept_variables)

    def _process_and_update(self, gradients, variables, packed):
        """Unscale, accumulate, clip, decay and update (`gradients` are private arrays)."""
        if self.loss_scale_factor is not None:
            for gradient in gradients:
                gradient /= self.loss_scale_factor
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            accumulators = [self._accumulated_gradients[self._get_variable_index(v)].data for v in variables]
            if (int(self._iterations.data) + 1) % steps != 0:
                for accumulator, gradient in zip(accumulators, gradients):
                    accumulator += gradient
                return
            for accumulator, gradient in zip(accumulators, gradients):
                gradient += accumulator
                gradient /= steps
                accumulator[...] = 0
        self._clip_gradients(gradients)
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate, packed)
        if packed:
            constants = self._prepare_step(learning_rate)
            values = packed.values.flat
            self._update_arrays(packed.gradient, values, packed.slot_arrays, packed.scratch, constants)
        else:
            current = self.learning_rate  # what Keras passes to update_step
            for gradient, variable in zip(gradients, variables):
                self.update_step(Tensor(gradient), variable, current)

    def _clip_gradients(self, gradients):
        if self.clipnorm:
            clipping.clip_by_norm(gradients, self.clipnorm)
        elif self.global_clipnorm:
            clipping.clip_by_global_norm(gradients, self.global_clipnorm)
        elif self.clipvalue:
            clipping.clip_by_value(gradients, self.clipvalue)

    def _finish_step(self, variables):
        """After the update: EMA, constraints, and one more iteration."""
        if self.use_ema:
            self._update_moving_averages()
        for variable in variables:
            constraint = variable.constraint
            if constraint is not None:
                with no_recording():
                    constrained = data_of(constraint(variable))
                if np.shape(constrained) != variable.shape:
                    raise ValueError(
                        f"{self._describe()}: the constraint {constraint!r} of variable {variable.path!r} "
                        f"returned shape {np.shape(constrained)}, expected {variable.shape}."
                    )
                variable.data[...] = constrained
        self._iterations.data += 1

    # -- weight decay --------------------------------------------------------
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

    # -- the update rule -------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate):
        """Update one variable from its gradient. Override it in your own optimizer.

        The built-in optimizers run their `_update_arrays` on this variable's
        value and slots.
        """
        if type(self)._update_arrays is Optimizer._update_arrays:
            raise NotImplementedError(
                f"{type(self).__name__} must override `update_step(self, gradient, variable, learning_rate)`."
            )
        index = self._get_variable_index(variable)
        value = variable.data
        gradient = np.asarray(data_of(gradient), dtype=value.dtype)
        slots = [group[index].data for group in self._slot_groups]
        constants = self._prepare_step(float(data_of(learning_rate)))
        self._update_arrays(gradient, value, slots, np.empty_like(value), constants)

    def _prepare_step(self, learning_rate):
        """Scalars the update needs this step, computed once for all variables."""
        return learning_rate

    def _update_arrays(self, gradient, value, slots, scratch, constants):
        """Update `value` and its `slots` in place (all arrays of one shape).

        `gradient` must not be changed; `scratch` is free working space.
        """
        raise NotImplementedError

    # -- packing (speed) -------------------------------------------------------
    def _pack(self):
        """Store the values and slots of the built variables in flat arrays, if possible."""
        variables = self._trainable_variables
        if (
            not variables
            or type(self).update_step is not Optimizer.update_step
            or type(self)._update_arrays is Optimizer._update_arrays
            or len({variable.data.dtype for variable in variables}) != 1
            or variables[0].data.dtype.kind != "f"
            or any(len(group) != len(variables) for group in self._slot_groups)
        ):
            return None
        return _Packing(variables, self._slot_groups, [self._use_weight_decay(v) for v in variables])

    # -- exponential moving average of the weights --------------------------------
    def _update_moving_averages(self):
        momentum = self.ema_momentum if self._step_count() != 0 else 0.0
        for variable, average in zip(self._trainable_variables, self._model_variables_moving_average):
            average.data[...] = momentum * average.data + (1 - momentum) * variable.data
        if self.ema_overwrite_frequency and (self._step_count() + 1) % self.ema_overwrite_frequency == 0:
            self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        trainable_variables = list(trainable_variables)
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"{self._describe()}: the number of model variables ({len(trainable_variables)}) to "
                "override does not match the number of moving averages stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Was the optimizer used on this model?"
            )
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            variable.data[...] = average.data

    def finalize_variable_values(self, var_list):
        """At the end of training: with `use_ema`, replace the weights by their averages."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        """The loss times `loss_scale_factor` (if set), before taking gradients."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -- saving ------------------------------------------------------------------
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

    def get_config(self):
        if isinstance(self._learning_rate, LearningRateSchedule):
            from mlkit.optimizers.schedules import serialize

            learning_rate = serialize(self._learning_rate)
        elif isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate.data)
        else:
            from mlkit.saving import serialize_keras_object

            learning_rate = serialize_keras_object(self._learning_rate)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from mlkit.optimizers.schedules import deserialize

            config["learning_rate"] = deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)


class _Packing:
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
