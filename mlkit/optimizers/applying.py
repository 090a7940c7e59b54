"""What happens to the gradients between `apply` and the update rule.

Part of `Optimizer` (see optimizer.py). Once `apply` has checked its
arguments and built the optimizer, a step runs in this order:

1. the gradients become private NumPy copies (None gradients are skipped
   with a warning, as in Keras); a traced step (models/traced_step.py)
   writes them straight into the optimizer's packed buffer instead;
2. unscaling by `loss_scale_factor`;
3. gradient accumulation (`gradient_accumulation_steps=n`: only every n-th
   call updates the weights, with the mean of the last n gradients);
4. clipping (`clipnorm`, `clipvalue` or `global_clipnorm`, see clipping.py);
5. weight decay (weight_decay.py);
6. the update rule: `update_step` per variable, or the optimizer's
   `_update_arrays` once on the packed arrays (packing.py);
7. the EMA (ema.py), each variable's `constraint`, and `iterations += 1`.

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([0.0], name="w")
    >>> optimizer = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    >>> _ = optimizer.apply_gradients([([-3.0], w)])     # clipped to -0.5 first
    >>> w.numpy().tolist()
    [0.5]
"""

import warnings

import numpy as np

from mlkit.ops.autodiff import no_recording
from mlkit.ops.core import data_of
from mlkit.ops.tensor import Tensor
from mlkit.optimizers import clipping


class ApplyingGradients:
    """The steps from raw gradients to updated, constrained variables."""

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
        for gradient, view, variable in zip(grads, packed.gradients, self._trainable_variables):
            array = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if array.shape != view.shape:
                self._gradient_array(gradient, variable)  # raises the error that explains it
            view[...] = array
        self._apply_gradient_buffers()

    def _gradient_buffers(self, variables):
        """Arrays to write the gradients of `variables` into, or None if this optimizer has none.

        They are views of the packed gradient (packing.py), one per variable,
        offered when `variables` are exactly the ones the optimizer was built
        with, in order. A caller that writes every gradient there in place
        (a traced step does) then calls `_apply_gradient_buffers()`, and skips
        the checks and the copy that `apply` makes.
        """
        packed = self._packed
        if not packed or [id(variable) for variable in variables] != self._trainable_variable_ids:
            return None
        return packed.gradients

    def _apply_gradient_buffers(self):
        """One step from the gradients already written into `_gradient_buffers(...)`."""
        packed, variables = self._packed, self._trainable_variables
        packed.reclaim()
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
                f"Gradients do not exist for variables {missing} when minimizing the loss: the loss "
                "does not depend on them. A weight created with add_weight but never used in call() "
                "gets no gradient (a bias that is not added?); so does one used through NumPy "
                "instead of ops.",
                stacklevel=3,
            )
        self._process_and_update(kept_grads, kept_variables, None)
        self._finish_step(kept_variables)

    def _process_and_update(self, gradients, variables, packed):
        """Unscale, accumulate, clip, decay and update (`gradients` are private arrays)."""
        if self.loss_scale_factor is not None:
            for gradient in gradients:
                gradient /= self.loss_scale_factor
        if self.gradient_accumulation_steps and not self._accumulate(gradients, variables):
            return
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

    def _accumulate(self, gradients, variables):
        """Add the gradients to the accumulators; on every n-th step, turn them into the mean.

        Returns whether this step updates the weights.
        """
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)].data for v in variables]
        if (int(self._iterations.data) + 1) % steps != 0:
            for accumulator, gradient in zip(accumulators, gradients):
                accumulator += gradient
            return False
        for accumulator, gradient in zip(accumulators, gradients):
            gradient += accumulator
            gradient /= steps
            accumulator[...] = 0
        return True

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

    def scale_loss(self, loss):
        """The loss times `loss_scale_factor` (if set), before taking gradients."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss
