"""`Bidirectional`: read each sequence forwards AND backwards, with two copies of an RNN.

The wrapper builds two fresh layers from the config of the one you pass: a
forward copy and a copy with `go_backwards=True`, so at every time step one
has seen the past and the other the future. Their outputs are merged
(`merge_mode`: "concat" (default), "sum", "ave", "mul", or None for a pair).
The backward sequence is flipped back into time order before merging.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> both_ways = layers.Bidirectional(layers.LSTM(4, return_sequences=True, name="lstm"), name="bidirectional")
    >>> both_ways(np.ones((2, 5, 3))).shape        # 4 forward + 4 backward features
    (2, 5, 8)
    >>> [w.path for w in both_ways.weights][:2]
    ['bidirectional/forward_lstm/lstm_cell/kernel', 'bidirectional/forward_lstm/lstm_cell/recurrent_kernel']

The weights are the forward layer's, then the backward layer's. With
`return_state=True` the states follow the output: forward ones, then backward
ones; `initial_state=` takes the same list (first half forward).
"""

import copy

from mlkit import ops
from mlkit.layers.layer import Layer
from mlkit.layers.rnn.rnn import check_sequences_shape, layer_classes, nest_weight_paths, shape_of
from mlkit.saving.serialization import deserialize_keras_object, serialize_keras_object

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `mlkit.layers.Layer` instance, "
                f"such as LSTM(8). Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"`backward_layer` needs to be a `mlkit.layers.Layer` instance. Received: {backward_layer!r}"
            )
        missing = [a for a in ("go_backwards", "return_sequences", "return_state") if not hasattr(layer, a)]
        if missing:
            raise ValueError(
                f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU or RNN), but "
                f"{type(layer).__name__} has no attribute(s) {missing}."
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, name="forward_" + layer.name.removeprefix("forward_"))
        if backward_layer is None:
            self.backward_layer = _copy_layer(
                layer, name="backward_" + layer.name.removeprefix("backward_"), go_backwards=True
            )
        else:
            self.backward_layer = backward_layer
        self._verify_layer_config()
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` values. "
                f"Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward_value, backward_value = getattr(forward, attribute), getattr(backward, attribute)
            if forward_value != backward_value:
                raise ValueError(
                    f"Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attribute}", got "{forward_value}" for forward layer and '
                    f'"{backward_value}" for backward layer'
                )

    def __call__(self, *args, **kwargs):
        if args:
            check_sequences_shape(self, shape_of(args[0]))
        return super().__call__(*args, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build(sequences_shape)
            nest_weight_paths(self, layer)
        if self._initial_weights:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    @property
    def states(self):
        return None  # never stateful in mlkit

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2:
                raise ValueError(
                    f"Bidirectional layer {self.name!r}: `initial_state` must hold the forward "
                    f"layer's states, then the backward layer's (an even number), got {len(states)}."
                )
            forward_state, backward_state = states[: len(states) // 2], states[len(states) // 2 :]

        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_reversed = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_reversed[1:])
            y, y_reversed = y[0], y_reversed[0]
        if y.dtype != self.compute_dtype:
            y, y_reversed = ops.cast(y, self.compute_dtype), ops.cast(y_reversed, self.compute_dtype)
        if self.return_sequences:
            y_reversed = y_reversed[:, ::-1]  # back into time order

        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_reversed], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_reversed
        elif self.merge_mode == "ave":
            output = (y + y_reversed) / 2
        elif self.merge_mode == "mul":
            output = y * y_reversed
        else:
            output = (y, y_reversed)

        if self.return_state:
            return (output if self.merge_mode is None else (output,)) + states
        return output

    def compute_mask(self, inputs, previous_mask):
        """As for a recurrent layer: the input's mask when the steps are returned, else none."""
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        output_mask = previous_mask if self.return_sequences else None
        if self.return_state:
            states = len(self.forward_layer.state_size) + len(self.backward_layer.state_size)
            return [output_mask] + [None] * states
        return output_mask

    def reset_state(self):
        raise AttributeError("Layer must be stateful.")

    reset_states = reset_state

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (None if output_shape[-1] is None else 2 * output_shape[-1],)
            output_shapes = (output_shape,)
        elif self.merge_mode is None:
            output_shapes = (tuple(output_shape), tuple(output_shape))
        else:
            output_shapes = (tuple(output_shape),)
        if self.return_state:
            return output_shapes + state_shapes + state_shapes
        return output_shapes[0] if self.merge_mode is not None else output_shapes

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_keras_object(self.forward_layer)
        config["backward_layer"] = serialize_keras_object(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        classes = layer_classes()
        config["layer"] = deserialize_keras_object(
            config["layer"], module_objects=classes, custom_objects=custom_objects, printable_module_name="layer"
        )
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_keras_object(
                backward, module_objects=classes, custom_objects=custom_objects, printable_module_name="layer"
            )
        return cls(**config)


def _copy_layer(layer, **changes):
    """A fresh, unbuilt layer from `layer`'s config, with some settings changed."""
    config = layer.get_config()
    config.update(changes)
    return type(layer).from_config(config)
