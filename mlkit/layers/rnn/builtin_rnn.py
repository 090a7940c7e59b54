"""`BuiltinRNN`: what SimpleRNN, LSTM and GRU add to `RNN` — a cell of their own and a fused loop.

`layers.LSTM(8)` is `layers.RNN(layers.LSTMCell(8))` with three conveniences,
the same for all three layers, written here once:

- the layer takes the cell's arguments itself and builds the cell from them
  (named e.g. "lstm_cell", so the weight paths read "lstm/lstm_cell/kernel");
- it shows the cell's settings under the same names (`lstm.units`) and puts
  them, flat, in its config, as Keras does;
- it runs the whole sequence as one fused op with a hand-written backward
  pass (`fused_*.py`) when the activations have a NumPy twin, and falls back
  to the cell step by step otherwise (or with a mask).

A layer then states its cell, its extra settings and how to call its fused op:

    >>> import numpy as np
    >>> from mlkit import layers
    >>> gru = layers.GRU(4, name="gru")
    >>> type(gru.cell).__name__, gru.units, gru.reset_after
    ('GRUCell', 4, True)
    >>> gru(np.ones((2, 5, 3))).shape
    (2, 4)
"""

import inspect

from mlkit import ops, regularizers
from mlkit.layers.rnn.base_cell import COMMON_SETTINGS, arguments_named, serialize_setting
from mlkit.layers.rnn.fused_common import fused_activation
from mlkit.layers.rnn.rnn import RNN

# The arguments a built-in layer hands to `RNN.__init__` rather than to its cell.
RNN_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "activity_regularizer")


def cell_property(name):
    """A read-only layer attribute that shows the cell's setting of the same name."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


def check_use_cudnn(use_cudnn):
    """Keras's `use_cudnn` switch: validated, then ignored (mlkit has no GPU kernels)."""
    if use_cudnn not in ("auto", True, False):
        raise ValueError(
            f"Invalid value received for argument `use_cudnn`. Expected one of "
            f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
        )
    return use_cudnn


class BuiltinRNN(RNN):
    """Abstract base of SimpleRNN, LSTM and GRU; see the module docstring."""

    cell_class = None  # SimpleRNNCell, LSTMCell or GRUCell
    cell_name = None  # the cell's name, part of the weight paths: "lstm_cell"
    # The cell's activations the fused op needs a NumPy twin of.
    fused_activation_settings = ("activation", "recurrent_activation")

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

    def __init__(self, arguments):
        """`arguments`: the subclass's `__init__` arguments by name (its `locals()`).

        Those the cell's `__init__` names go to the cell, those in
        RNN_ARGUMENTS and **kwargs to `RNN`.
        """
        kwargs = arguments["kwargs"]
        cell_arguments = [name for name in inspect.signature(self.cell_class).parameters if name != "kwargs"]
        cell = self.cell_class(
            **arguments_named(arguments, cell_arguments),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=self.cell_name,
        )
        super().__init__(cell, **arguments_named(arguments, RNN_ARGUMENTS), **kwargs)

    def inner_loop(self, sequences, initial_state, mask=None, training=False):
        activations = {name: fused_activation(getattr(self.cell, name)) for name in self.fused_activation_settings}
        if None in activations.values():
            return super().inner_loop(sequences, initial_state, mask=mask, training=training)
        inputs, recurrent_mask = self._dropped_inputs(sequences, initial_state, training)
        weights = (self.cell.kernel, self.cell.recurrent_kernel, self.cell.bias)
        return self.fused_loop(inputs, initial_state, weights, recurrent_mask, **activations)

    def _dropped_inputs(self, sequences, initial_state, training):
        """Inputs with the cell's input dropout applied, and its recurrent dropout mask (or None)."""
        if not training:
            return sequences, None
        input_mask = self.cell.get_dropout_mask(sequences.data[:, 0])
        if input_mask is not None:
            sequences = ops.multiply(sequences, input_mask[:, None, :])
        return sequences, self.cell.get_recurrent_dropout_mask(initial_state[0])

    def fused_loop(self, inputs, initial_state, weights, recurrent_mask, **activations):
        """The fused op over the whole sequence: (last output, all outputs, final states)."""
        raise NotImplementedError

    def get_config(self):
        """The RNN flags plus the cell's settings, flat (no "cell" entry), as in Keras."""
        config = RNN.get_config(self)
        del config["cell"]
        for name in COMMON_SETTINGS + self.cell_class._extra_settings:
            config[name] = serialize_setting(name, getattr(self.cell, name))
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config["seed"] = self.cell.seed
        return config
