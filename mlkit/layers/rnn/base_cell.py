"""`BaseRNNCell`: the settings and weights SimpleRNN, LSTM and GRU cells share.

A cell computes ONE time step: `output, new_states = cell(x_t, states)`.
Every built-in cell has the same three weights, with the gates side by side
along the last axis (LSTM: 4 gates, GRU: 3, SimpleRNN: 1):

- `kernel` (input_dim, gates * units): applied to the inputs,
- `recurrent_kernel` (units, gates * units): applied to the previous output,
- `bias` (gates * units,) — or (2, 3 * units) for a GRU with `reset_after`.

    >>> from mlkit import layers
    >>> cell = layers.LSTMCell(4)
    >>> cell.build((None, 3))
    >>> [(w.name, w.shape) for w in cell.weights]
    [('kernel', (3, 16)), ('recurrent_kernel', (4, 16)), ('bias', (16,))]

A cell that adds settings (LSTMCell, GRUCell) hands the shared ones on with
`super().__init__(**arguments_named(locals(), BASE_CELL_ARGUMENTS), **kwargs)`
and keeps only its own. This module also turns the settings into config
values (`serialize_setting`), for the cells and for the layers that wrap them.
"""

from mlkit import activations, constraints, initializers, ops, random, regularizers
from mlkit.layers.layer import Layer
from mlkit.layers.rnn.dropout_rnn_cell import DropoutRNNCell

# The arguments every built-in cell accepts (their config keys), in Keras's order.
COMMON_SETTINGS = (
    "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)
# The arguments of `BaseRNNCell.__init__` (besides **kwargs).
BASE_CELL_ARGUMENTS = COMMON_SETTINGS + ("seed",)


def arguments_named(arguments, names):
    """The entries of `arguments` (a function's `locals()`) called `names`, to pass on by keyword."""
    return {name: arguments[name] for name in names}


def serialize_setting(name, value):
    """A cell setting as a JSON-able config value, chosen by the setting's name."""
    if name.endswith("activation"):
        return activations.serialize(value)
    if name.endswith("_initializer"):
        return initializers.serialize(value)
    if name.endswith("_regularizer"):
        return regularizers.serialize(value)
    if name.endswith("_constraint"):
        return constraints.serialize(value)
    return value


def check_units(owner, units):
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(
            f"{owner}: received an invalid value for argument `units`, expected a positive "
            f"integer, got {units!r}. It is the size of the output and of the state, e.g. 32."
        )


class BaseRNNCell(Layer, DropoutRNNCell):
    """Shared constructor, weights, dropout and config; subclasses write `call` (and their gates)."""

    gates = 1  # how many gates sit side by side in the weights
    # Extra config keys of a subclass (e.g. "recurrent_activation"), besides COMMON_SETTINGS.
    _extra_settings = ()

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        check_units(type(self).__name__, units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Rates are clipped into [0, 1], as in Keras.
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        self._add_cell_weights(self._input_dim(input_shape), self.gates)

    def _add_cell_weights(self, input_dim, gates, bias_shape=None, bias_initializer=None):
        """Create kernel, recurrent_kernel and (if use_bias) bias for `gates` gates."""
        self.kernel = self.add_weight(
            shape=(input_dim, gates * self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, gates * self.units),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape or (gates * self.units,),
                initializer=bias_initializer or self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def _input_dim(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the number of features (last axis of the "
                f"input) must be known to build the kernel, got input shape {tuple(input_shape)}."
            )
        return input_dim

    def get_initial_state(self, batch_size=None):
        """Zeros for every state: a list of (batch_size, size) tensors."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def get_config(self):
        config = super().get_config()
        for name in COMMON_SETTINGS + self._extra_settings:
            config[name] = serialize_setting(name, getattr(self, name))
        config["seed"] = self.seed
        return config
