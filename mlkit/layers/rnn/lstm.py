"""`LSTM`: long short-term memory, a recurrent layer with a gated memory (the carry).

Four gates, side by side in the weights in Keras's order i, f, c, o:

    i = sigmoid(x W_i + h U_i + b_i)      how much new content to write
    f = sigmoid(x W_f + h U_f + b_f)      how much old memory to keep
    g = tanh(x W_c + h U_c + b_c)         the new content
    o = sigmoid(x W_o + h U_o + b_o)      how much memory to show
    c_new = f * c + i * g                 h_new = o * tanh(c_new)

(sigmoid is `recurrent_activation`, tanh is `activation`.) With
`unit_forget_bias=True` the forget gate's bias starts at 1, so the layer
remembers by default.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> lstm = layers.LSTM(4, return_state=True, name="lstm")
    >>> output, h, c = lstm(np.ones((2, 5, 3)))
    >>> output.shape, h.shape, c.shape
    ((2, 4), (2, 4), (2, 4))
    >>> [(w.path, w.shape) for w in lstm.weights]
    [('lstm/lstm_cell/kernel', (3, 16)), ('lstm/lstm_cell/recurrent_kernel', (4, 16)), ('lstm/lstm_cell/bias', (16,))]
    >>> lstm.weights[2].numpy()[4:8].tolist()     # the forget gate's bias
    [1.0, 1.0, 1.0, 1.0]

The layer runs the whole sequence as one fused op (`fused_lstm.py`) when
both activations have a NumPy twin, otherwise the cell step by step.
"""

from mlkit import activations, initializers, ops
from mlkit.layers.rnn.base_cell import COMMON_SETTINGS, BaseRNNCell
from mlkit.layers.rnn.fused_common import fused_activation
from mlkit.layers.rnn.fused_lstm import lstm_sequence
from mlkit.layers.rnn.rnn import RNN, cell_property, check_use_cudnn

_LSTM_SETTINGS = COMMON_SETTINGS + ("recurrent_activation", "unit_forget_bias")


class LSTMCell(BaseRNNCell):
    """One LSTM step: `h, [h, c] = cell(x, [h_previous, c_previous])`."""

    _extra_settings = ("recurrent_activation", "unit_forget_bias")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
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
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]  # h and c

    def build(self, input_shape):
        bias_initializer = self.bias_initializer
        if self.use_bias and self.unit_forget_bias:
            units, chosen = self.units, self.bias_initializer

            def bias_initializer(shape, dtype=None):
                # The chosen initializer for i, ones for f, the chosen one for c and o.
                parts = [chosen((units,), dtype), initializers.Ones()((units,), dtype), chosen((2 * units,), dtype)]
                return ops.concatenate(parts)

        self._add_cell_weights(self._input_dim(input_shape), gates=4, bias_initializer=bias_initializer)

    def call(self, inputs, states, training=False):
        h_previous, c_previous = states[0], states[1]
        if training:
            input_mask = self.get_dropout_mask(inputs)
            recurrent_mask = self.get_recurrent_dropout_mask(h_previous)
            inputs = inputs if input_mask is None else inputs * input_mask
            h_previous = h_previous if recurrent_mask is None else h_previous * recurrent_mask
        pre = ops.matmul(inputs, self.kernel) + ops.matmul(h_previous, self.recurrent_kernel)
        if self.bias is not None:
            pre = pre + self.bias
        i, f, g, o = ops.split(pre, 4, axis=1)
        c = self.recurrent_activation(f) * c_previous + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]


class LSTM(RNN):
    # The settings live in the cell; the layer shows them under the same names.
    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    unit_forget_bias = cell_property("unit_forget_bias")
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

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
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
        use_cudnn="auto",
        **kwargs,
    ):
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
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
        trajectory = lstm_sequence(
            inputs,
            initial_state[0],
            initial_state[1],
            self.cell.kernel,
            self.cell.recurrent_kernel,
            self.cell.bias,
            activation=activation,
            recurrent_activation=recurrent_activation,
            recurrent_mask=recurrent_mask,
            go_backwards=self.go_backwards,
        )
        last_h, last_c = trajectory[0, :, -1], trajectory[1, :, -1]
        outputs = trajectory[0] if self.return_sequences else None
        return last_h, outputs, [last_h, last_c]

    def get_config(self):
        return self._config_with_cell_settings(_LSTM_SETTINGS)

