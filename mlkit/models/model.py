"""`Model`: a layer that can train itself.

Three ways to make one, as in Keras:

- functional: `Model(inputs, outputs)` from `mlkit.Input` and layer calls;
- `Sequential([...])`: a plain stack of layers;
- subclassing: `class MyModel(Model)` with layers as attributes and a
  `call` method.

    >>> import mlkit
    >>> inputs = mlkit.Input(shape=(4,))
    >>> outputs = mlkit.layers.Dense(2)(inputs)
    >>> model = mlkit.Model(inputs, outputs)
    >>> model.count_params()
    10
"""

from mlkit.layers.call_context import context
from mlkit.layers.layer import Layer, state_version
from mlkit.models.trainer import Trainer


class Model(Trainer, Layer):
    def __new__(cls, *args, **kwargs):
        from mlkit.models.functional import Functional, functional_version
        from mlkit.models.sequential import Sequential

        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return Functional.__new__(Functional, *args, **kwargs)
        if not issubclass(cls, (Functional, Sequential)) and _functional_arguments(args, kwargs):
            # `MyModel(inputs, outputs)`: a functional model with MyModel's methods
            # (a custom train_step, say), as Keras allows.
            return super().__new__(functional_version(cls))
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got inputs/outputs, but it is a subclassed "
                "model: call `super().__init__()` with at most name=, trainable=, dtype=."
            )
        Layer.__init__(self, **kwargs)
        self._init_trainer()
        self._cached_trainable = (None, None)

    def __call__(self, *args, **kwargs):
        if context.depth:
            return super().__call__(*args, **kwargs)
        # The outermost model call tells every layer inside which training
        # step this is (see Layer.training_step).
        outer_step = context.step
        context.step = self._current_step()
        try:
            return super().__call__(*args, **kwargs)
        finally:
            context.step = outer_step

    def _current_step(self):
        optimizer = self.__dict__.get("optimizer")
        if optimizer is None:
            return 0
        return int(optimizer.iterations.data)

    def _build_for(self, shapes):
        # Remembered so a saved subclassed model can be rebuilt before its
        # weights are loaded.
        self._build_input_shape = shapes
        if type(self).build is Model.build:
            self.built = True  # the call that triggered this builds every sublayer
            return
        super()._build_for(shapes)

    def build(self, input_shape):
        """Build by calling the model once on placeholder data of `input_shape`."""
        if type(self).call is Layer.call:
            self.built = True
            return
        from mlkit.layers.symbolic import dry_run

        shape = input_shape if not isinstance(input_shape, tuple) else tuple(input_shape)
        was_building, self._building = self._building, True
        try:
            self.built = True  # so the dry run below does not try to build again
            dry_run(self, shape)
        finally:
            self._building = was_building

    # -- layers ---------------------------------------------------------------
    @property
    def layers(self):
        """The model's layers (direct children), in order."""
        return self._flatten_layers(include_self=False, recursive=False)

    def get_layer(self, name=None, index=None):
        """A layer by its name or its index in `model.layers`."""
        if (name is None) == (index is None):
            raise ValueError(
                "get_layer() needs exactly one of name= or index=, got "
                f"name={name!r}, index={index!r}."
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve the layer at index {index}, but model "
                    f"{self.name!r} has only {len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name!r}. Model {self.name!r} has the layers: "
            f"{[layer.name for layer in layers]}."
        )

    @property
    def trainable_variables(self):
        # Looked up once per change of the model's structure or trainable
        # flags, not on every training step.
        version, cached = self._cached_trainable
        if version != state_version[0] or cached is None:
            cached = self.trainable_weights
            self._cached_trainable = (state_version[0], cached)
        return list(cached)

    def zero_grad(self):
        """Forget the gradients `loss.backward()` left on the weights (torch's idiom).

        As on Keras's torch backend, a torch-style `train_step` calls this
        first, since backward() adds to the gradients already there.
        """
        for variable in self.weights:
            variable.grad = None

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False, layer_range=None):
        """Print a table of layers, output shapes and parameter counts."""
        from mlkit.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable)

    # -- saving ---------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None):
        """Save architecture, weights and optimizer state to one `.keras` file, in Keras 3's format."""
        from mlkit.saving.model_file import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and the optimizer's state) to a `.weights.h5` file, laid out as Keras does."""
        from mlkit.saving.model_file import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights saved by save_weights (or save), by mlkit or Keras, into this model."""
        from mlkit.saving.model_file import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config; a functional config rebuilds the graph."""
        if "input_layers" in config and "output_layers" in config:
            from mlkit.models.functional import Functional
            from mlkit.saving.functional_config import functional_from_config

            # A subclass of Model rebuilt from a functional config keeps its methods.
            target = Functional if cls is Model else cls
            return functional_from_config(target, config, custom_objects)
        return super().from_config(config)

    def _output_names(self):
        return ["output"]


def _functional_arguments(args, kwargs):
    """Were a model's arguments `(inputs, outputs)`, positional or by keyword, as Keras reads them?"""
    from mlkit.layers.keras_tensor import KerasTensor
    from mlkit.utils.tree import flatten

    if len(args) == 2:
        inputs = args[0]
    elif len(args) == 1 and "outputs" in kwargs:
        inputs = args[0]
    elif not args and "inputs" in kwargs and "outputs" in kwargs:
        inputs = kwargs["inputs"]
    else:
        return False
    flat = flatten(inputs)
    return bool(flat) and all(isinstance(tensor, KerasTensor) for tensor in flat)
