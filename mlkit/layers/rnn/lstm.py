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
from mlkit.layers.rnn.base_cell import BASE_CELL_ARGUMENTS, BaseRNNCell, arguments_named
from mlkit.layers.rnn.builtin_rnn import BuiltinRNN, cell_property, check_use_cudnn
from mlkit.layers.rnn.fused_lstm import lstm_sequence


class LSTMCell(BaseRNNCell):
    """One LSTM step: `h, [h, c] = cell(x, [h_previous, c_previous])`."""

    gates = 4
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
        super().__init__(**arguments_named(locals(), BASE_CELL_ARGUMENTS), **kwargs)
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

        self._add_cell_weights(self._input_dim(input_shape), self.gates, bias_initializer=bias_initializer)

    def call(self, inputs, states, training=False):
        c_previous = states[1]
        inputs, h_previous = self.apply_dropout_masks(inputs, states[0], training)
        pre = ops.matmul(inputs, self.kernel) + ops.matmul(h_previous, self.recurrent_kernel)
        if self.bias is not None:
            pre = pre + self.bias
        i, f, g, o = ops.split(pre, 4, axis=1)
        c = self.recurrent_activation(f) * c_previous + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]


class LSTM(BuiltinRNN):
    cell_class = LSTMCell
    cell_name = "lstm_cell"
    recurrent_activation = cell_property("recurrent_activation")
    unit_forget_bias = cell_property("unit_forget_bias")

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
        super().__init__(locals())  # the cell takes its arguments, RNN the rest (see BuiltinRNN)
        self.use_cudnn = check_use_cudnn(use_cudnn)

    def fused_loop(self, inputs, initial_state, weights, recurrent_mask, activation, recurrent_activation):
        trajectory = lstm_sequence(
            inputs, initial_state[0], initial_state[1], *weights,
            activation=activation, recurrent_activation=recurrent_activation,
            recurrent_mask=recurrent_mask, go_backwards=self.go_backwards,
        )
        last_h, last_c = trajectory[0, :, -1], trajectory[1, :, -1]
        outputs = trajectory[0] if self.return_sequences else None
        return last_h, outputs, [last_h, last_c]
