"""`Layer`: the contract every layer follows — the heart of the course.

A layer is a callable object with state (weights). You write three methods:

- `__init__`: store the settings (units, activation, ...) and create any
  weight whose shape does not depend on the input;
- `build(input_shape)`: create the weights that do, with `add_weight`;
- `call(inputs)`: the computation, with `mlkit.ops`.

You never call `build` yourself: the first `layer(x)` runs `__call__`, which
checks `x` against `input_spec`, calls `build(x.shape)` once, then `call(x)`.

    >>> from mlkit import layers, ops
    >>> class Scale(layers.Layer):
    ...     def build(self, input_shape):
    ...         self.factor = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, inputs):
    ...         return inputs * self.factor
    >>> scale = Scale()
    >>> scale.built
    False
    >>> scale(ops.ones((2, 3))).shape
    (2, 3)
    >>> scale.built, len(scale.weights)
    (True, 1)
"""

import functools
import inspect

import numpy as np

from mlkit import dtype_policies
from mlkit.layers.call_context import context
from mlkit.layers.input_spec import assert_input_compatibility
from mlkit.ops.autodiff import no_recording
from mlkit.ops.core import convert_to_tensor, standardize_dtype
from mlkit.ops.math import cast
from mlkit.ops.tensor import Tensor
from mlkit.utils.naming import to_snake_case, unique_name
from mlkit.variable import Variable

# Attributes that hold bookkeeping, never sublayers or weights of this layer.
_UNTRACKED = frozenset({"_inbound_nodes", "_outbound_nodes", "_auto_config", "_input_spec_cache"})

# Layers that hold losses from add_loss() right now; cleared on the next outer call.
_loss_holders = []

# Keyword arguments Layer.__init__ accepts besides its own, for Sequential's
# first layer (`Dense(4, input_shape=(3,))`) as in Keras.
_SHAPE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")


class Layer:
    """Base class of all layers; see the module docstring for the contract."""

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # Remember the constructor arguments: a subclass that does not write
        # get_config() still gets a working one from them, as in Keras.
        layer._auto_config = (args, dict(kwargs))
        return layer

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _build_wrapper(cls.__dict__["build"])
        call_parameters = inspect.signature(cls.call).parameters
        has_var_kwargs = any(p.kind is p.VAR_KEYWORD for p in call_parameters.values())
        cls._call_accepts_training = "training" in call_parameters or has_var_kwargs
        cls._call_accepts_mask = "mask" in call_parameters

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable=True,
        dtype=None,
        autocast=True,
        name=None,
        **kwargs,
    ):
        unknown = [key for key in kwargs if key not in _SHAPE_KWARGS]
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {key: kwargs[key] for key in unknown} }. Check the spelling; the arguments "
                f"every layer accepts are name, dtype, trainable, autocast and activity_regularizer."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {name!r}.")
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype_policy = dtype_policies.get(dtype)
        self.autocast = autocast
        self._trainable = bool(trainable)
        self.built = False
        self._building = False
        self._trainable_variables = []
        self._non_trainable_variables = []
        self._losses = []
        self.input_spec = None
        self.supports_masking = False
        from mlkit import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._input_shape_arg = _input_shape_from_kwargs(kwargs)
        self._last_checked_shapes = None

    # -- state ----------------------------------------------------------------
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="mean",
        name=None,
    ):
        """Create a weight (a `Variable`) that this layer tracks and owns."""
        self._check_super_init_called("add_weight")
        if self.built and not self._building:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) tried to create a weight after it "
                "was built. You cannot add new elements of state (variables or sub-layers) to a "
                "layer that is already built: create all weights in __init__() or in build(), "
                "never in call()."
            )
        from mlkit import constraints, initializers, regularizers

        shape = () if shape is None else tuple(shape)
        if any(n is None or int(n) < 0 for n in shape):
            raise ValueError(
                f"Layer {self.name!r}: add_weight needs a fully known shape, got {shape}. "
                "Use the sizes from `input_shape` in build()."
            )
        dtype = standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        initializer = initializers.get(initializer)
        name = name or "variable"
        variable = Variable(
            initializer,
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name,
            constraint=constraints.get(constraint),
        )
        variable.path = f"{self.name}/{name}"
        variable.regularizer = regularizers.get(regularizer)
        if trainable:
            self._trainable_variables.append(variable)
        else:
            self._non_trainable_variables.append(variable)
        if not self._trainable:
            variable.trainable = False
        return variable

    def _check_super_init_called(self, what):
        if "_trainable_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.{what}() was used before the base class was set up: "
                f"call `super().__init__()` at the start of {type(self).__name__}.__init__."
            )

    def _tracked(self):
        """(sublayers, attribute variables) found among this layer's attributes."""
        sublayers, variables, seen = [], [], set()

        def walk(value):
            if isinstance(value, Layer):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    sublayers.append(value)
            elif isinstance(value, Variable):
                if id(value) not in seen:
                    seen.add(id(value))
                    variables.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)

        for key, value in self.__dict__.items():
            if key not in _UNTRACKED:
                walk(value)
        return sublayers, variables

    @property
    def _layers(self):
        """Direct sublayers, in the order they were assigned as attributes."""
        return self._tracked()[0]

    def _flatten_layers(self, include_self=True, recursive=True):
        found, seen = [], set()
        stack = [self] if include_self else list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            found.append(layer)
            if recursive or layer is self:
                stack.extend(reversed(layer._layers))
        return found

    def _own_variables(self):
        own = self._trainable_variables + self._non_trainable_variables
        known = {id(v) for v in own}
        for variable in self._tracked()[1]:
            if id(variable) not in known:
                (own.insert(len(self._trainable_variables), variable) if variable.trainable else own.append(variable))
                known.add(id(variable))
        return own

    @property
    def weights(self):
        """All weights: this layer's own (trainable first), then each sublayer's."""
        found, seen = [], set()
        for layer in self._flatten_layers():
            for variable in layer._own_variables():
                if id(variable) not in seen:
                    seen.add(id(variable))
                    found.append(variable)
        return found

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freeze (False) or unfreeze (True) this layer and every sublayer."""
        value = bool(value)
        self._trainable = value
        for variable in self._trainable_variables:
            variable.trainable = value
        for layer in self._layers:
            layer.trainable = value

    def get_weights(self):
        """The weights' values as a list of NumPy arrays (copies)."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Set every weight from a list of arrays, in the order of `weights`.

        All shapes are checked before anything is assigned, so a mistake leaves
        the layer unchanged.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"You called set_weights(weights) on layer {self.name!r} with a weight list of "
                f"length {len(weights)}, but the layer was expecting {len(own)} weights "
                f"({', '.join(v.path for v in own) or 'none: is it built?'})."
            )
        values = []
        for variable, value in zip(own, weights):
            value = np.asarray(getattr(value, "data", value))
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {variable.path!r} has shape {variable.shape}, "
                    f"but set_weights received an array of shape {value.shape}. Pass the arrays "
                    "in the order of layer.weights with matching shapes."
                )
            values.append(value)
        for variable, value in zip(own, values):
            variable.assign(value)

    def count_params(self):
        """The number of scalar values in all weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer {self.name!r}, but the layer isn't "
                "built. Call it on data first, or build it with `layer.build(input_shape)`."
            )
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))

    # -- dtypes ---------------------------------------------------------------
    @property
    def dtype_policy(self):
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._dtype_policy = dtype_policies.get(value)

    @property
    def dtype(self):
        """The dtype of the weights (an alias of `variable_dtype`)."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype_policy.compute_dtype

    # -- losses ---------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss (computed from inputs or weights) during `call`."""
        if not any(holder is self for holder in _loss_holders):
            _loss_holders.append(self)
        self._losses.append(loss)

    @property
    def losses(self):
        """Losses from add_loss and weight regularizers, this layer's and its sublayers'."""
        collected = []
        for layer in self._flatten_layers():
            collected.extend(layer._losses)
            for variable in layer._own_variables():
                if variable.regularizer is not None:
                    collected.append(variable.regularizer(variable))
        return collected

    def _clear_losses(self):
        if not _loss_holders:
            return
        mine = {id(layer) for layer in self._flatten_layers()}
        for holder in list(_loss_holders):
            if id(holder) in mine:
                holder._losses = []
        _loss_holders[:] = [h for h in _loss_holders if id(h) not in mine]

    # -- the call -------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights that depend on the input shape (override this)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's computation (override this)."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} has no call() method. Define "
            "`def call(self, inputs): ...` returning the layer's output."
        )

    def __call__(self, *args, **kwargs):
        self._check_super_init_called("__call__")
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise ValueError(f"Layer {self.name!r} was called without inputs: pass them as `layer(x)`.")
        if _is_symbolic(inputs):
            from mlkit.layers.symbolic import symbolic_call

            return symbolic_call(self, inputs, args, kwargs)
        inputs = self._convert_inputs(inputs)
        shapes = _shapes_of(inputs)
        if self.input_spec is not None and shapes != self._last_checked_shapes:
            assert_input_compatibility(self.input_spec, _flat_shapes(shapes), self.name)
            self._last_checked_shapes = shapes
        if not self.built:
            self._build_for(shapes)
            if self.input_spec is not None:
                assert_input_compatibility(self.input_spec, _flat_shapes(shapes), self.name)

        training = kwargs.pop("training", None)
        outer_training = context.training
        if training is None:
            training = outer_training
        if training is not None and self._call_accepts_training:
            kwargs["training"] = training
        mask = kwargs.get("mask")
        if mask is not None and not self._call_accepts_mask:
            kwargs.pop("mask")

        if context.depth == 0:
            self._clear_losses()
        context.depth += 1
        context.training = training
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            context.depth -= 1
            context.training = outer_training
        if self.activity_regularizer is not None:
            for output in _flatten(outputs):
                self.add_loss(self.activity_regularizer(output))
        return outputs

    def _convert_inputs(self, inputs):
        """Inputs as tensors; float inputs cast to the compute dtype (autocast)."""
        compute_dtype = self._dtype_policy.compute_dtype

        def convert(x):
            if isinstance(x, Tensor):
                if self.autocast and x.data.dtype.kind == "f" and x.data.dtype.name != compute_dtype:
                    return cast(x, compute_dtype)
                return x
            if x is None or isinstance(x, (str, bool)):
                return x
            tensor = convert_to_tensor(x)
            if self.autocast and tensor.data.dtype.kind == "f" and tensor.dtype != compute_dtype:
                tensor = Tensor(tensor.data.astype(compute_dtype))
            return tensor

        if isinstance(inputs, Tensor):
            return convert(inputs)
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(convert(x) for x in inputs)
        if isinstance(inputs, dict):
            return {key: convert(x) for key, x in inputs.items()}
        return convert(inputs)

    def _build_for(self, shapes):
        """Build with the shape(s) of the first call, exactly once."""
        with no_recording():
            self.build(_shapes_for_build(shapes))
        self.built = True

    # -- shapes ---------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        """The output shape for an input shape (None = unknown size).

        The default runs `call` on placeholder zeros and reads the result;
        layers whose output shape is easy to state override this.
        """
        from mlkit.layers.symbolic import infer_output_shape

        return infer_output_shape(self, input_shape)

    # -- configuration --------------------------------------------------------
    def get_config(self):
        """The constructor arguments that recreate this layer, as a JSON-able dict."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policies.serialize(self._dtype_policy)}
        if self.activity_regularizer is not None:
            from mlkit import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is not Layer.get_config:
            return config  # the subclass writes its own and adds its arguments
        config.update(_auto_config(self))
        return config

    @classmethod
    def from_config(cls, config):
        """Create a layer from the dict `get_config()` returned."""
        config = dict(config)
        try:
            return cls(**config)
        except TypeError as error:
            raise _config_error(cls, config, error) from None

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# The base call() takes **kwargs, so it accepts `training`, but not `mask`.
Layer._call_accepts_training, Layer._call_accepts_mask = True, False


def _build_wrapper(build):
    """Wrap a subclass's build(): mark the layer built afterwards, as Keras does."""

    @functools.wraps(build)
    def wrapped(self, *args, **kwargs):
        self._check_super_init_called("build")
        was_building = self._building
        self._building = True
        try:
            result = build(self, *args, **kwargs)
        finally:
            self._building = was_building
        self.built = True
        return result

    wrapped._mlkit_build_wrapper = True
    return wrapped


def _input_shape_from_kwargs(kwargs):
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])
    if kwargs.get("input_shape") is not None:
        return (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
    if kwargs.get("input_dim") is not None:
        return (kwargs.get("batch_size"), kwargs["input_dim"])
    return None


def _is_symbolic(inputs):
    if isinstance(inputs, Tensor):
        return False
    if isinstance(inputs, (list, tuple)):
        return any(_is_symbolic(x) for x in inputs)
    if isinstance(inputs, dict):
        return any(_is_symbolic(x) for x in inputs.values())
    return getattr(inputs, "_is_symbolic_tensor", False)


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten(item)]
    return [structure]


def _shapes_of(inputs):
    if isinstance(inputs, Tensor):
        return inputs.data.shape
    if isinstance(inputs, (list, tuple)):
        return [_shapes_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {key: _shapes_of(x) for key, x in inputs.items()}
    return getattr(inputs, "shape", None)


def _flat_shapes(shapes):
    if isinstance(shapes, tuple):
        return [shapes]
    if isinstance(shapes, list):
        return [s for item in shapes for s in _flat_shapes(item)]
    if isinstance(shapes, dict):
        return [s for item in shapes.values() for s in _flat_shapes(item)]
    return []


def _shapes_for_build(shapes):
    return shapes


def _auto_config(layer):
    """Constructor arguments captured by __new__, for layers without get_config()."""
    from mlkit.saving.serialization import check_json

    args, kwargs = layer._auto_config
    parameters = [
        p for p in inspect.signature(type(layer).__init__).parameters.values()
        if p.name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    config = {p.name: value for p, value in zip(parameters, args)}
    config.update({k: v for k, v in kwargs.items() if k not in ("name", "trainable", "dtype")})
    try:
        check_json(config, f"The constructor arguments of layer {layer.name!r}")
    except TypeError as error:
        raise NotImplementedError(
            f"Layer {type(layer).__name__} has arguments {list(config)} in __init__() that "
            f"cannot be saved automatically ({error}). Override get_config() in "
            f"{type(layer).__name__} and return JSON-able values for them."
        ) from None
    return config


def _config_error(cls, config, error):
    """Explain which constructor argument a config is missing or has too many of."""
    parameters = inspect.signature(cls.__init__).parameters
    required = [
        name for name, p in parameters.items()
        if name != "self" and p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    missing = [name for name in required if name not in config]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        return TypeError(
            f"{cls.__name__}.from_config could not recreate the layer: __init__() requires "
            f"{names}, but the config has no such key (it has {sorted(config)}). "
            f"{cls.__name__}.get_config() must return every constructor argument: "
            f"start from `config = super().get_config()` and add "
            + ", ".join(f"{m!r}: self.{m}" for m in missing) + " to it."
        )
    return TypeError(
        f"{cls.__name__}.from_config could not recreate the layer from {config}: {error}. "
        f"Make get_config() return exactly the arguments {cls.__name__}.__init__() accepts "
        "(or override from_config)."
    )

