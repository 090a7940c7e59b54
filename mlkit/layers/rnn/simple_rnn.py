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
from mlkit.layers.rnn.base_cell import BaseRNNCell
from mlkit.layers.rnn.builtin_rnn import BuiltinRNN
from mlkit.layers.rnn.fused_simple_rnn import simple_rnn_sequence


class SimpleRNNCell(BaseRNNCell):
    """One step of SimpleRNN: `output = activation(x @ kernel + h @ recurrent_kernel + bias)`."""

    def call(self, sequence, states, training=False):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        sequence, previous = self.apply_dropout_masks(sequence, previous, training)
        pre = ops.matmul(sequence, self.kernel)
        if self.bias is not None:
            pre = pre + self.bias
        output = self.activation(pre + ops.matmul(previous, self.recurrent_kernel))
        return output, ([output] if isinstance(states, (list, tuple)) else output)


class SimpleRNN(BuiltinRNN):
    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    fused_activation_settings = ("activation",)

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
        super().__init__(locals())  # the cell takes its arguments, RNN the rest (see BuiltinRNN)

    def fused_loop(self, inputs, initial_state, weights, recurrent_mask, activation):
        outputs = simple_rnn_sequence(
            inputs, initial_state[0], *weights,
            activation=activation, recurrent_mask=recurrent_mask, go_backwards=self.go_backwards,
        )
        last_output = outputs[:, -1]
        return last_output, outputs, [last_output]
