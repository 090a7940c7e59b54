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
`self.assign`, `self.assign_add`, `self.assign_sub`). Its `__init__` takes
its own hyperparameters and passes everything else to this one as
`**kwargs`; its `get_config` adds those hyperparameters to this one's.

This file is the contract; the machinery lives beside it, one concept a
module: `optimizer_variables.py` (state: creating, saving and loading the
variables), `learning_rate.py`, `applying.py` (from gradients to updated
variables), `clipping.py`, `weight_decay.py`, `ema.py`, `arguments.py`
(checking the constructor arguments) and `packing.py`.

How the built-in optimizers stay fast (an mlkit detail): each one writes its
math once, in `_update_arrays`, as a few in-place NumPy operations on plain
arrays. When a step updates every variable the optimizer was built with,
their values and slots live end to end in flat arrays (see `packing.py`)
and `_update_arrays` runs once for all of them; otherwise it runs once per
variable, on that variable's own segment.
"""

import warnings

import numpy as np

from mlkit.ops.core import data_of
from mlkit.optimizers.applying import ApplyingGradients
from mlkit.optimizers.arguments import check_base_arguments
from mlkit.optimizers.ema import ExponentialMovingAverage
from mlkit.optimizers.learning_rate import LearningRateHandling, learning_rate_from_config
from mlkit.optimizers.optimizer_variables import OptimizerVariables
from mlkit.optimizers.packing import OptimizerPacking
from mlkit.optimizers.weight_decay import WeightDecay
from mlkit.utils.naming import to_snake_case, unique_name


class Optimizer(
    OptimizerVariables, LearningRateHandling, ApplyingGradients, WeightDecay, ExponentialMovingAverage
):
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

        check_base_arguments(
            self._describe(), clipnorm, clipvalue, global_clipnorm, weight_decay, loss_scale_factor,
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
        self._packed = None  # None: not decided yet; False: cannot pack; else an OptimizerPacking
        self._exclude_from_weight_decay_ids = set()
        self._exclude_from_weight_decay_pattern = None

        self._iterations = self._make_variable(0, "iteration", "int64")
        self._init_learning_rate(learning_rate)

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

    # -- build: the state for these variables ----------------------------------
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

    # -- applying gradients (the steps in between: applying.py) ---------------------
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
            if self._gradient_buffers(variables) is not None and all(g is not None for g in grads):
                self._apply_packed(packed, grads)
                return
            packed.reclaim()
        self._apply_each(grads, variables)

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

    def _pack(self):
        """The values and slots of the built variables in flat arrays, or None if they cannot be."""
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
        return OptimizerPacking(variables, self._slot_groups, [self._use_weight_decay(v) for v in variables])

    # -- config ------------------------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "learning_rate": self._learning_rate_config(),
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
        return cls(**learning_rate_from_config(config, custom_objects))
