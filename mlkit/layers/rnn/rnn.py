"""`RNN`: run a cell over the time steps of a sequence — the base of SimpleRNN, LSTM, GRU.

A cell computes one time step, `output, new_states = cell(x_t, states)`.
`RNN(cell)` feeds it the time steps of inputs (batch, timesteps, features)
one after the other, passing each step's states on to the next:

    >>> import numpy as np
    >>> from mlkit import layers
    >>> rnn = layers.RNN(layers.SimpleRNNCell(4), return_sequences=True, return_state=True)
    >>> sequence_output, final_state = rnn(np.ones((2, 5, 3)))
    >>> sequence_output.shape, final_state.shape
    ((2, 5, 4), (2, 4))

- `return_sequences`: the output of every step (batch, timesteps, units), or
  only the last one (batch, units);
- `return_state`: also return the final states (LSTM: h and c);
- `go_backwards`: read the sequence from its end; the returned sequence is
  then in reading order too (its first entry belongs to the last time step);
- `initial_state=` in the call: the states to start from (zeros otherwise).

The cell's weights belong to the cell, a sublayer, so their paths read
"lstm/lstm_cell/kernel" as in Keras. `stateful=True` is not supported (a
clear error says so); `unroll` is accepted and has no effect.
SimpleRNN, LSTM and GRU (`BuiltinRNN`) replace the step-by-step loop
(`inner_loop`) by one fused op with a hand-written backward pass; the
numbers are the same.

Masks, as in Keras: a `mask` (batch, timesteps) -- given, or attached by an
`Embedding(mask_zero=True)` or `Masking` layer before -- makes the layer skip
the masked steps: there the states stay as they were and the output repeats
the previous one (zeros with `zero_output_for_mask=True`). The mask passes
on to the next layer when `return_sequences=True`.
"""

import inspect

import numpy as np

from mlkit import ops
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object
from mlkit.utils.arguments import check_bool


def nest_weight_paths(parent, sublayer):
    """Prefix the paths of a sublayer's weights with the parent's name, as Keras's name scopes do."""
    for variable in sublayer.weights:
        if f"/{parent.name}/" not in f"/{variable.path}":
            variable.path = f"{parent.name}/{variable.path}"


def layer_classes():
    """mlkit's layer classes by name, to rebuild sublayers from their configs."""
    from mlkit import layers

    return {name: value for name, value in vars(layers).items() if isinstance(value, type)}


def check_sequences_shape(layer, shape):
    """Raise a ValueError naming `layer` unless `shape` is (batch, timesteps, features)."""
    if shape is None:
        return
    where = f"{type(layer).__name__} layer {layer.name!r}"
    if len(shape) != 3:
        hints = {
            1: " Add a batch and a time axis, e.g. x.reshape(1, -1, 1) for one sequence of numbers.",
            2: " For one sequence, add a batch axis: x[None]. For single time steps, add a "
            "time axis: x[:, None, :].",
        }
        hint = hints.get(len(shape), " Merge the extra axes into the features axis first, e.g. with layers.Reshape.")
        raise ValueError(
            f"{where} expects inputs of shape (batch, timesteps, features), i.e. ndim=3, but "
            f"received an input of shape {tuple(shape)} (ndim={len(shape)}).{hint}"
        )
    if shape[1] == 0:
        raise ValueError(f"{where} received sequences with 0 time steps (shape {tuple(shape)}).")


class RNN(Layer):
    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError(
                "RNN: a list of cells (stacked cells) is not supported by mlkit. Stack RNN layers "
                "instead, each but the last with return_sequences=True."
            )
        if not callable(getattr(cell, "call", None)):
            raise ValueError(
                f"Argument `cell` should have a `call` method computing one time step, "
                f"`call(inputs, states) -> (output, new_states)`. Received: cell={cell!r}"
            )
        state_size = getattr(cell, "state_size", None)
        if not (isinstance(state_size, int) or (
            isinstance(state_size, (list, tuple)) and all(isinstance(s, int) for s in state_size)
        )):
            raise ValueError(
                f"The RNN cell should have a `state_size` attribute: an integer, or a list of "
                f"integers (one per state tensor). Received: cell={cell!r} with "
                f"state_size={state_size!r}"
            )
        super().__init__(**kwargs)
        if stateful:
            raise NotImplementedError(
                f"{type(self).__name__} {self.name!r}: stateful=True is not supported by mlkit. "
                "To carry the state from one batch to the next, call the layer with "
                "return_state=True and pass the returned states as `initial_state=` next time."
            )
        self.cell = cell
        owner = f"{type(self).__name__} {self.name!r}"
        self.return_sequences = check_bool(owner, "return_sequences", return_sequences)
        self.return_state = check_bool(owner, "return_state", return_state)
        self.go_backwards = check_bool(owner, "go_backwards", go_backwards)
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)
        self.states = None  # only stateful layers keep states between calls
        self.input_spec = InputSpec(ndim=3)
        self.supports_masking = True

    # -- checks ---------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if args:
            check_sequences_shape(self, shape_of(args[0]))
        return super().__call__(*args, **kwargs)

    def _standardize_initial_state(self, initial_state, sequences):
        batch = sequences.shape[0]
        if initial_state is None:
            return self.get_initial_state(batch)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        expected = [(batch, size) for size in self.state_size]
        if len(states) != len(expected):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects `initial_state` to be a list of "
                f"{len(expected)} tensor(s) of shape(s) {expected}, but received {len(states)}."
            )
        standardized = []
        for index, (state, shape) in enumerate(zip(states, expected)):
            state = ops.convert_to_tensor(state)
            if tuple(state.shape) != shape:
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r}: initial state {index} must have "
                    f"shape (batch, units) = {shape}, but received shape {tuple(state.shape)}."
                )
            if state.dtype != sequences.dtype:
                state = ops.cast(state, sequences.dtype)
            standardized.append(state)
        return standardized

    # -- state ---------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
        if isinstance(self.cell, Layer):
            nest_weight_paths(self, self.cell)
        self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})

    def get_initial_state(self, batch_size):
        """Zeros for every state (or whatever the cell's get_initial_state gives)."""
        from_cell = getattr(self.cell, "get_initial_state", None)
        if from_cell is None:
            return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in self.state_size]
        states = from_cell(batch_size=batch_size)
        return list(states) if isinstance(states, (list, tuple)) else [states]

    def reset_state(self):
        """Nothing to reset: mlkit's recurrent layers are never stateful."""

    reset_states = reset_state

    # -- the computation ------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        states = self._standardize_initial_state(initial_state, sequences)
        # With a mask, every layer takes the step-by-step loop (the fused ops know no masks).
        inner_loop = self.inner_loop if mask is None else RNN.inner_loop.__get__(self)
        mask = None if mask is None else self._standardize_mask(mask, sequences)
        try:
            last_output, outputs, states = inner_loop(sequences, states, mask=mask, training=bool(training))
        finally:
            if isinstance(self.cell, DropoutRNNCell):
                self.cell.reset_dropout_mask()
                self.cell.reset_recurrent_dropout_mask()
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def inner_loop(self, sequences, initial_state, mask=None, training=False):
        """Call the cell on each time step: (last output, all outputs or None, final states)."""
        if isinstance(self.cell, Layer):
            call_cell, cell_kwargs = self.cell, {"training": training}
        else:
            call_cell = self.cell.call
            accepts_training = "training" in inspect.signature(call_cell).parameters
            cell_kwargs = {"training": training} if accepts_training else {}
        steps = sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        states, outputs = list(initial_state), []
        for t in order:
            output, new_states = call_cell(sequences[:, t], states, **cell_kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if mask is not None:
                # A masked step changes nothing: old states, previous (or zero) output.
                keep = mask[:, t : t + 1]
                new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]
                previous = outputs[-1] if outputs and not self.zero_output_for_mask else ops.zeros_like(output)
                output = ops.where(keep, output, previous)
            states = new_states
            outputs.append(output)
        all_outputs = ops.stack(outputs, axis=1) if self.return_sequences else None
        return outputs[-1], all_outputs, states

    def _standardize_mask(self, mask, sequences):
        """The mask as booleans of shape (batch, timesteps), checked against the sequences."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]  # the mask of the sequences (the states carry none)
        mask = ops.convert_to_numpy(mask).astype(bool)
        if mask.shape != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the mask must have shape "
                f"(batch, timesteps) = {tuple(sequences.shape[:2])}, got shape {mask.shape}. A "
                "mask says which time steps are real (True) and which are padding (False)."
            )
        return mask

    def compute_mask(self, inputs, previous_mask):
        """The input's mask for `return_sequences=True` (the steps are kept); else none."""
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        output_mask = previous_mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    # -- shapes and configuration ---------------------------------------------
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or self.state_size[0]
        output_shape = (batch, steps, output_size) if self.return_sequences else (batch, output_size)
        if self.return_state:
            return (output_shape, *[(batch, size) for size in self.state_size])
        return output_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_keras_object(self.cell),
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "cell" not in config:  # SimpleRNN, LSTM, GRU: the cell's settings are in the config
            return super().from_config(config)
        cell = deserialize_keras_object(
            config.pop("cell"), module_objects=layer_classes(), custom_objects=custom_objects,
            printable_module_name="RNN cell",
        )
        return cls(cell, **config)


def shape_of(inputs):
    """The shape of a tensor, array or nested list (None if it has none)."""
    shape = getattr(inputs, "shape", None)
    if shape is None and isinstance(inputs, (list, tuple)):
        try:
            shape = np.shape(inputs)
        except ValueError:
            return None
    return None if shape is None else tuple(shape)
