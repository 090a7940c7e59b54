"""`SimpleRNN`: the plain recurrent layer, h_t = activation(x_t W + h_{t-1} U + b).

Each step mixes the new input with the previous output. Its weights live in
the cell, `SimpleRNNCell`, exactly as in Keras:

    >>> import numpy as np
    >>> from mlkit import layers
    >>> rnn = layers.SimpleRNN(4, name="simple_rnn")
    >>> rnn(np.ones((2, 5, 3))).shape
    (2, 4)
    >>> for weight in rnn.weights:
    ...     print(weight.path, weight.shape)
    simple_rnn/simple_rnn_cell/kernel (3, 4)
    simple_rnn/simple_rnn_cell/recurrent_kernel (4, 4)
    simple_rnn/simple_rnn_cell/bias (4,)

The layer runs the whole sequence as one fused op (`fused_simple_rnn.py`)
when its activation has a NumPy twin (tanh, sigmoid, relu, linear,
hard_sigmoid), otherwise the cell step by step; both give the same numbers.
"""

from mlkit import ops
from mlkit.layers.rnn.base_cell import COMMON_SETTINGS, BaseRNNCell
from mlkit.layers.rnn.fused_common import fused_activation
from mlkit.layers.rnn.fused_simple_rnn import simple_rnn_sequence
from mlkit.layers.rnn.rnn import RNN, cell_property


class SimpleRNNCell(BaseRNNCell):
    """One step of SimpleRNN: `output = activation(x @ kernel + h @ recurrent_kernel + bias)`."""

    def build(self, input_shape):
        self._add_cell_weights(self._input_dim(input_shape), gates=1)

    def call(self, sequence, states, training=False):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        if training:
            input_mask = self.get_dropout_mask(sequence)
            recurrent_mask = self.get_recurrent_dropout_mask(previous)
            sequence = sequence if input_mask is None else sequence * input_mask
            previous = previous if recurrent_mask is None else previous * recurrent_mask
        pre = ops.matmul(sequence, self.kernel)
        if self.bias is not None:
            pre = pre + self.bias
        output = self.activation(pre + ops.matmul(previous, self.recurrent_kernel))
        return output, ([output] if isinstance(states, (list, tuple)) else output)


class SimpleRNN(RNN):
    # The settings live in the cell; the layer shows them under the same names.
    units = cell_property("units")
    activation = cell_property("activation")
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

    def __init__(
        self,
        units,
        activation="tanh",
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
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        cell = SimpleRNNCell(
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
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
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

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences, initial_state, mask=None, training=False):
        activation = fused_activation(self.cell.activation)
        if activation is None:
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        inputs, recurrent_mask = self._dropped_inputs(sequences, initial_state, training)
        outputs = simple_rnn_sequence(
            inputs,
            initial_state[0],
            self.cell.kernel,
            self.cell.recurrent_kernel,
            self.cell.bias,
            activation=activation,
            recurrent_mask=recurrent_mask,
            go_backwards=self.go_backwards,
        )
        last_output = outputs[:, -1]
        return last_output, outputs, [last_output]

    def get_config(self):
        return self._config_with_cell_settings(COMMON_SETTINGS)

