"""`GRU`: gated recurrent unit, a lighter gated layer than the LSTM (no separate carry).

Three gates, side by side in the weights in Keras's order z, r, h:

    z = sigmoid(x W_z + h U_z + b_z)      update gate: how much of the old state to keep
    r = sigmoid(x W_r + h U_r + b_r)      reset gate: how much old state the candidate sees
    n = tanh(x W_h + b_h + r * (h U_h + b'_h))      (reset_after=True, the default)
    n = tanh(x W_h + b_h + (r * h) U_h)             (reset_after=False)
    h_new = z * h + (1 - z) * n

With `reset_after=True` the bias has two rows (2, 3 units): the input bias b
and the recurrent bias b'.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> gru = layers.GRU(4)
    >>> gru(np.ones((2, 5, 3))).shape
    (2, 4)
    >>> [(w.name, w.shape) for w in gru.weights]
    [('kernel', (3, 12)), ('recurrent_kernel', (4, 12)), ('bias', (2, 12))]

The layer runs the whole sequence as one fused op (`fused_gru.py`) when both
activations have a NumPy twin, otherwise the cell step by step.
"""

from mlkit import activations, ops
from mlkit.layers.rnn.base_cell import BASE_CELL_ARGUMENTS, BaseRNNCell, arguments_named
from mlkit.layers.rnn.builtin_rnn import BuiltinRNN, cell_property, check_use_cudnn
from mlkit.layers.rnn.fused_gru import gru_sequence


class GRUCell(BaseRNNCell):
    """One GRU step: `h, [h] = cell(x, [h_previous])`."""

    gates = 3
    _extra_settings = ("recurrent_activation", "reset_after")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(**arguments_named(locals(), BASE_CELL_ARGUMENTS), **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def build(self, input_shape):
        # reset_after keeps two biases, one for the inputs and one for the recurrent state.
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_cell_weights(self._input_dim(input_shape), self.gates, bias_shape=bias_shape)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_previous = states[0] if nested else states
        inputs, masked_previous = self.apply_dropout_masks(inputs, h_previous, training)
        input_bias = recurrent_bias = None
        if self.bias is not None:
            input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)

        from_inputs = ops.matmul(inputs, self.kernel)
        if input_bias is not None:
            from_inputs = from_inputs + input_bias
        x_z, x_r, x_h = ops.split(from_inputs, 3, axis=1)
        units = self.units
        if self.reset_after:
            from_state = ops.matmul(masked_previous, self.recurrent_kernel)
            if recurrent_bias is not None:
                from_state = from_state + recurrent_bias
            h_z, h_r, h_h = ops.split(from_state, 3, axis=1)
            z = self.recurrent_activation(x_z + h_z)
            r = self.recurrent_activation(x_r + h_r)
            candidate = self.activation(x_h + r * h_h)
        else:
            from_state = ops.matmul(masked_previous, self.recurrent_kernel[:, : 2 * units])
            h_z, h_r = ops.split(from_state, 2, axis=1)
            z = self.recurrent_activation(x_z + h_z)
            r = self.recurrent_activation(x_r + h_r)
            candidate = self.activation(x_h + ops.matmul(r * masked_previous, self.recurrent_kernel[:, 2 * units :]))
        h = z * h_previous + (1 - z) * candidate
        return h, ([h] if nested else h)


class GRU(BuiltinRNN):
    cell_class = GRUCell
    cell_name = "gru_cell"
    recurrent_activation = cell_property("recurrent_activation")
    reset_after = cell_property("reset_after")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        super().__init__(locals())  # the cell takes its arguments, RNN the rest (see BuiltinRNN)
        self.use_cudnn = check_use_cudnn(use_cudnn)

    def fused_loop(self, inputs, initial_state, weights, recurrent_mask, activation, recurrent_activation):
        outputs = gru_sequence(
            inputs, initial_state[0], *weights, reset_after=self.cell.reset_after,
            activation=activation, recurrent_activation=recurrent_activation,
            recurrent_mask=recurrent_mask, go_backwards=self.go_backwards,
        )
        last_output = outputs[:, -1]
        return last_output, outputs, [last_output]
