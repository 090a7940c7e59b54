"""`Sequential`: a stack of layers, each feeding the next.

    >>> import mlkit
    >>> from mlkit import layers
    >>> model = mlkit.Sequential([
    ...     layers.Dense(8, activation="relu", input_shape=(4,)),
    ...     layers.Dense(3),
    ... ])
    >>> model.output_shape
    (None, 3)

With an input shape (an `Input` first, or `input_shape=` on the first
layer) the model is built at once and `summary()` works; without one it is
built the first time it sees data.
"""

from mlkit.layers.layer import Layer, state_version
from mlkit.layers.core.input_layer import InputLayer
from mlkit.layers.keras_tensor import KerasTensor
from mlkit.models.model import Model


class Sequential(Model):
    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._layers_list = []
        self._input_layer = None
        self._graph_output = None
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(
                f"Sequential expects a list of layers, got a single {type(layers).__name__}: "
                f"{layers!r}. Wrap it in a list: Sequential([...])."
            )
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    def add(self, layer, rebuild=True):
        """Append a layer (or an `Input`) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._layers_list or self._input_layer is not None:
                raise ValueError(
                    f"Sequential {self.name!r}: an Input can only be the first element of the stack."
                )
            self._input_layer = layer
        elif isinstance(layer, Layer):
            # The same layer may appear twice: it then shares its weights.
            self._layers_list.append(layer)
        else:
            raise TypeError(
                f"Sequential.add() takes a layer, got {type(layer).__name__} ({layer!r}). "
                "Create the layer first, e.g. model.add(layers.Dense(4))."
            )
        state_version[0] += 1
        if rebuild:
            self._rebuild()

    def pop(self, rebuild=True):
        """Remove the last layer and return it."""
        if not self._layers_list:
            raise IndexError(f"Sequential {self.name!r} has no layers to pop.")
        layer = self._layers_list.pop()
        state_version[0] += 1
        if rebuild:
            self._rebuild()
        return layer

    @property
    def layers(self):
        return list(self._layers_list)

    def _known_input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._layers_list:
            return self._layers_list[0].__dict__.get("_input_shape_arg")
        return None

    def _rebuild(self):
        self.built = False
        self._graph_output = None
        shape = self._known_input_shape()
        if shape is not None and self._layers_list:
            self.build(shape)

    def build(self, input_shape=None):
        """Trace the stack on a symbolic input of `input_shape` (batch axis first)."""
        if input_shape is None:
            input_shape = self._known_input_shape()
        if input_shape is None:
            raise ValueError(
                f"Sequential {self.name!r} cannot be built without an input shape: start it with "
                "mlkit.Input(shape=...), give the first layer input_shape=..., or call it on data."
            )
        sample_shape = tuple(input_shape[1:])
        if self._input_layer is None or tuple(self._input_layer.batch_shape[1:]) != sample_shape:
            self._input_layer = InputLayer(batch_shape=(None,) + sample_shape, name=f"{self.name}_input")
        x = self._input_layer._inbound_nodes[0].outputs
        for layer in self._layers_list:
            x = layer(x)
        self._graph_output = x
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layers_list:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        if self._graph_output is not None and tuple(input_shape[1:]) == tuple(self._input_layer.batch_shape[1:]):
            return self._graph_output.shape
        return super().compute_output_shape(input_shape)

    @property
    def input_shape(self):
        self._require_built("input_shape")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        self._require_built("output_shape")
        return self._graph_output.shape

    @property
    def inputs(self):
        self._require_built("inputs")
        return [self._input_layer._inbound_nodes[0].outputs]

    @property
    def outputs(self):
        self._require_built("outputs")
        return [self._graph_output]

    def _require_built(self, what):
        if self._graph_output is None:
            raise ValueError(
                f"Sequential model {self.name!r} has no {what} yet: it has not been built. Give "
                "it an input shape (mlkit.Input(shape=...) first) or call it on a batch of data."
            )

    def get_config(self):
        from mlkit.saving import serialize_keras_object

        layer_configs = []
        if self._input_layer is not None:
            layer_configs.append(serialize_keras_object(self._input_layer))
        layer_configs += [serialize_keras_object(layer) for layer in self._layers_list]
        return {"name": self.name, "trainable": self.trainable, "layers": layer_configs}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from mlkit.saving.model_config import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects), rebuild=False)
        model._rebuild()
        return model
