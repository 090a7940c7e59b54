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
from mlkit.layers.rnn.base_cell import COMMON_SETTINGS, BaseRNNCell
from mlkit.layers.rnn.fused_common import fused_activation
from mlkit.layers.rnn.fused_gru import gru_sequence
from mlkit.layers.rnn.rnn import RNN, cell_property, check_use_cudnn

_GRU_SETTINGS = COMMON_SETTINGS + ("recurrent_activation", "reset_after")


class GRUCell(BaseRNNCell):
    """One GRU step: `h, [h] = cell(x, [h_previous])`."""

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
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def build(self, input_shape):
        # reset_after keeps two biases, one for the inputs and one for the recurrent state.
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_cell_weights(self._input_dim(input_shape), gates=3, bias_shape=bias_shape)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_previous = states[0] if nested else states
        masked_previous = h_previous
        if training:
            input_mask = self.get_dropout_mask(inputs)
            recurrent_mask = self.get_recurrent_dropout_mask(h_previous)
            inputs = inputs if input_mask is None else inputs * input_mask
            masked_previous = h_previous if recurrent_mask is None else h_previous * recurrent_mask
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


class GRU(RNN):
    # The settings live in the cell; the layer shows them under the same names.
    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")
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
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            reset_after=reset_after,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.use_cudnn = check_use_cudnn(use_cudnn)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences, initial_state, mask=None, training=False):
        activation = fused_activation(self.cell.activation)
        recurrent_activation = fused_activation(self.cell.recurrent_activation)
        if activation is None or recurrent_activation is None:
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        inputs, recurrent_mask = self._dropped_inputs(sequences, initial_state, training)
        outputs = gru_sequence(
            inputs,
            initial_state[0],
            self.cell.kernel,
            self.cell.recurrent_kernel,
            self.cell.bias,
            reset_after=self.cell.reset_after,
            activation=activation,
            recurrent_activation=recurrent_activation,
            recurrent_mask=recurrent_mask,
            go_backwards=self.go_backwards,
        )
        last_output = outputs[:, -1]
        return last_output, outputs, [last_output]

    def get_config(self):
        return self._config_with_cell_settings(_GRU_SETTINGS)
