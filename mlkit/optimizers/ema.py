"""Exponential moving average (EMA) of the weights, for `use_ema=True`.

Part of `Optimizer` (see optimizer.py). After every step the optimizer
keeps, per trained variable, an average that forgets slowly:

    average = ema_momentum * average + (1 - ema_momentum) * weight

(on the first step the average is simply the weight). Averaged weights are
often better than the last ones; `finalize_variable_values` (called by
`fit` at the end of training) copies them into the model, and
`ema_overwrite_frequency=n` does so every n steps.

    >>> import mlkit
    >>> from mlkit import optimizers
    >>> w = mlkit.Variable([0.0], name="w")
    >>> optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    >>> for _ in range(2):
    ...     _ = optimizer.apply_gradients([([-1.0], w)])
    >>> w.numpy().tolist(), optimizer.variables[2].numpy().tolist()   # weight 2, average (1 + 2) / 2
    ([2.0], [1.5])
"""


class ExponentialMovingAverage:
    """The `use_ema` part of an optimizer: the averages and when they replace the weights."""

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
