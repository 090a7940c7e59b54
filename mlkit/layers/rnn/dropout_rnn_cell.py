"""`DropoutRNNCell`: the dropout masks a recurrent cell reuses at every time step.

Dropout in a recurrent layer draws ONE mask per sequence and applies it at
every time step (a fresh mask per step would destroy the memory the layer is
trying to keep). The mask is drawn on the first request of a layer call and
cached; the `RNN` layer clears it when the call ends, so the next batch gets
a new one.

    >>> from mlkit import layers, ops
    >>> cell = layers.SimpleRNNCell(3, dropout=0.5, seed=1)
    >>> mask = cell.get_dropout_mask(ops.ones((2, 4)))
    >>> sorted(set(mask.ravel().tolist()))      # dropped, or kept and scaled by 1 / (1 - 0.5)
    [0.0, 2.0]
    >>> cell.get_dropout_mask(ops.ones((2, 4))) is mask
    True

mlkit draws one mask for the inputs and one for the recurrent state, shared
by all gates of an LSTM or GRU (Keras draws one per gate when
`recurrent_dropout` is set; both are the same regularizer in distribution).
"""

import numpy as np

from mlkit import random


class DropoutRNNCell:
    """Mixin for cells with `dropout`, `recurrent_dropout` and `seed_generator`."""

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _create_dropout_mask(self, step_input, rate):
        ones = np.ones(np.shape(getattr(step_input, "data", step_input)), dtype=self.compute_dtype)
        return random.dropout(ones, rate=rate, seed=self.seed_generator).data

    def get_dropout_mask(self, step_input):
        """The input mask (an array shaped like one time step), or None without dropout."""
        if self._dropout_mask is None and 0.0 < self.dropout < 1.0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input):
        """The mask of the previous state (batch, units), or None without recurrent dropout."""
        if self._recurrent_dropout_mask is None and 0.0 < self.recurrent_dropout < 1.0:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def apply_dropout_masks(self, step_input, previous_output, training):
        """The step's input and the previous output with their masks applied (when training)."""
        if not training:
            return step_input, previous_output
        input_mask = self.get_dropout_mask(step_input)
        recurrent_mask = self.get_recurrent_dropout_mask(previous_output)
        if input_mask is not None:
            step_input = step_input * input_mask
        if recurrent_mask is not None:
            previous_output = previous_output * recurrent_mask
        return step_input, previous_output

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None
