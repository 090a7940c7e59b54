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

This file shows the contract: `__init__`, `add_weight`, `build`, `call`,
`__call__` (how calling builds the layer) and `get_config`/`from_config`.
The machinery behind it lives beside it, one concept per module, and
`Layer` inherits it from small mixin classes:

- layer_tracking.py: finding sublayers and weights among the attributes;
- layer_weights.py: `weights`, `trainable_weights`, ..., freezing (`trainable`);
- layer_weight_values.py: `get_weights` / `set_weights`;
- layer_losses.py: `add_loss`, `losses`, activity regularization;
- layer_dtypes.py: the dtype policy (`compute_dtype`, mixed precision);
- layer_inputs.py: converting inputs to tensors (autocast), `input_spec`;
- layer_masking.py: `compute_mask` and how masks travel between layers;
- layer_graph_position.py: `input` / `output` in a functional model;
- layer_arguments.py and layer_building.py: the checks of `__init__`'s
  arguments, and what is done around a subclass's own `build`;
- symbolic.py: calling on `mlkit.Input` and inferring output shapes.
"""

import inspect

import numpy as np

from mlkit import dtype_policies
from mlkit.backend.masking import get_keras_mask
from mlkit.dtype_policies.autocast import state as _autocast
from mlkit.layers.call_context import context, name_scope
from mlkit.layers.input_checks import check_build_shapes, returned_none_error, structure_error
from mlkit.layers.input_spec import assert_input_compatibility
from mlkit.layers.layer_arguments import check_base_arguments, input_shape_from_kwargs
from mlkit.layers.layer_building import wrap_build
from mlkit.layers.layer_config import auto_config, config_error
from mlkit.layers.layer_dtypes import DtypePolicyAttributes
from mlkit.layers.layer_graph_position import GraphPosition
from mlkit.layers.layer_inputs import InputConversion, is_symbolic, shapes_of
from mlkit.layers.layer_losses import LayerLosses, loss_holders
from mlkit.layers.layer_masking import MaskPropagation
from mlkit.layers.layer_tracking import AttributeTracking
from mlkit.layers.layer_weight_values import WeightValues
from mlkit.layers.layer_weights import WeightCollections
from mlkit.layers.tracking import state_version
from mlkit.ops.autodiff import no_recording
from mlkit.ops.core import standardize_dtype
from mlkit.ops.tensor import Tensor
from mlkit.utils.naming import to_snake_case, unique_name
from mlkit.variable import Variable


class Layer(
    AttributeTracking,  # self.sublayer = ... is found (layer_tracking.py)
    WeightCollections,  # weights, trainable_weights, trainable (layer_weights.py)
    WeightValues,  # get_weights, set_weights (layer_weight_values.py)
    LayerLosses,  # add_loss, losses (layer_losses.py)
    DtypePolicyAttributes,  # dtype_policy, compute_dtype (layer_dtypes.py)
    InputConversion,  # input_spec, inputs to tensors (layer_inputs.py)
    MaskPropagation,  # compute_mask (layer_masking.py)
    GraphPosition,  # input, output in a functional model (layer_graph_position.py)
):
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
            cls.build = wrap_build(cls.__dict__["build"])  # marks the layer built afterwards
        # As in Keras, `training` reaches call() only if call() names it; its
        # default there (e.g. `training=False`) also applies to nested layers.
        call_parameters = inspect.signature(cls.call).parameters
        cls._call_accepts_training = "training" in call_parameters
        cls._call_accepts_mask = "mask" in call_parameters
        cls._overrides_compute_mask = cls.compute_mask is not Layer.compute_mask
        training = call_parameters.get("training")
        cls._call_training_default = None if training is None or training.default is training.empty else training.default

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
        check_base_arguments(self, name, trainable, kwargs)  # see layer_arguments.py
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype_policy = dtype
        self.autocast = autocast
        self._trainable = trainable
        self.built = False
        self._building = False
        self._trainable_variables = []
        self._non_trainable_variables = []
        self._losses = []
        self._input_spec = None
        self._input_spec_checks_dtype = False
        # As in Keras: a layer that says how its output is masked passes masks on.
        self.supports_masking = self._overrides_compute_mask
        from mlkit import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._input_shape_arg = input_shape_from_kwargs(kwargs, self)
        self._checked_shapes = []  # input shapes that passed the input spec (see __call__)

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
        """Create a weight (a `Variable`) that this layer tracks and owns.

        Defaults as in Keras: a scalar (shape `()`), the layer's variable
        dtype, 'glorot_uniform' for float weights and 'zeros' otherwise.
        """
        self._check_super_init_called("add_weight")
        if isinstance(shape, str):
            raise ValueError(
                f"Layer {self.name!r}: `name` must be passed to add_weight as a keyword argument, "
                f"got add_weight({shape!r}, ...). Use add_weight(shape=..., name={shape!r})."
            )
        if self.built and not self._building:
            self._refuse_new_state(f"a weight ({name or 'unnamed'})")
        from mlkit import constraints, initializers, regularizers

        if shape is None:
            shape = ()
        if not isinstance(shape, (tuple, list)) or any(
            n is None or isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 for n in shape
        ):
            raise ValueError(
                f"Layer {self.name!r}: add_weight needs a fully known shape (a tuple of sizes), "
                f"got shape={shape!r}. Use the sizes from `input_shape` in build(), e.g. "
                "shape=(input_shape[-1], self.units)."
            )
        shape = tuple(int(n) for n in shape)
        dtype = standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        what = f"weight {name!r} of layer {self.name!r}" if name else f"a weight of layer {self.name!r}"
        initializer = _get_setting(initializers, "initializer", initializer, what)
        regularizer = _get_setting(regularizers, "regularizer", regularizer, what)
        constraint = _get_setting(constraints, "constraint", constraint, what)
        variable = Variable(
            initializer,
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name,
            constraint=constraint,
        )
        variable.path = "/".join(self._name_scope() + [variable.name])
        variable.regularizer = regularizer
        variable._tracked_trainable = bool(trainable)
        # `weights` lists these first (see layer_weights.py); a frozen layer's new weight is frozen too.
        if trainable:
            self._trainable_variables.append(variable)
        else:
            self._non_trainable_variables.append(variable)
        if not self._trainable:
            variable.trainable = False
        state_version[0] += 1
        return variable

    def _name_scope(self):
        """The names a new weight's path starts with: the enclosing layer calls, then this layer."""
        names = [layer.name for layer in context.scope]
        if not context.scope or context.scope[-1] is not self:
            names.append(self.name)
        return names

    def _check_super_init_called(self, what):
        if "_trainable_variables" not in self.__dict__:
            raise RuntimeError(
                f"In layer {type(self).__name__!r}, you forgot to call `super().__init__()` as the "
                f"first statement of __init__() (noticed when {what}() was used). Add "
                f"`super().__init__(**kwargs)` at the start of {type(self).__name__}.__init__."
            )

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
        # Inside a training loop a layer is called again and again on batches
        # like the ones it has already seen; that case takes a short path with
        # the same outcome (see _is_repeat_call). The full story follows it.
        if len(args) == 1 and self._is_repeat_call(args[0], kwargs):
            return self._call_again(args[0], kwargs)
        self._check_super_init_called("__call__")
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise ValueError(f"Layer {self.name!r} was called without inputs: pass them as `layer(x)`.")
        if not isinstance(inputs, Tensor) and is_symbolic(inputs):  # defining a functional model (symbolic.py)
            from mlkit.layers.symbolic import symbolic_call

            return symbolic_call(self, inputs, args, kwargs)
        inputs = self._convert_inputs(inputs)  # tensors in the compute dtype (layer_inputs.py)
        shapes = shapes_of(inputs)
        # The input spec is checked once per input shape (in a training loop:
        # the full batches and the smaller last one), and before and after
        # build (which may refine it).
        spec = self._input_spec
        if shapes not in self._checked_shapes or self._input_spec_checks_dtype:
            if spec is not None:
                assert_input_compatibility(spec, inputs, self.name)
            self._remember_checked_shapes(shapes)
        if not self.built:
            self._build_for(shapes)
            if self._input_spec is not None:
                assert_input_compatibility(self._input_spec, inputs, self.name)
            self._remember_checked_shapes(shapes)

        training = self._training_for(kwargs.pop("training", None))
        if training is not None and self._call_accepts_training:
            kwargs["training"] = training
        # A call() that takes `mask` receives the inputs' mask (layer_masking.py).
        previous_mask = self._mask_for_call(inputs, kwargs)

        if context.depth == 0:
            self._clear_losses()  # the last step's add_loss() losses (layer_losses.py)
        # Mixed precision: float variables are read in the compute dtype while
        # call() runs (an autocast scope, consulted only by Variable reads).
        outer_autocast = _autocast.dtype
        if outer_autocast is not None or self._mixed_precision:
            _autocast.dtype = self._variable_read_dtype(outer_autocast)
        try:
            outputs = self._call_nested(training, inputs, *args, **kwargs)
        finally:
            _autocast.dtype = outer_autocast
        if outputs is None:
            raise returned_none_error(self)
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        if previous_mask is not None or self._overrides_compute_mask:
            self._pass_mask_on(inputs, outputs, previous_mask)
        return outputs

    def _training_for(self, training):
        """`training` for this call: the caller's value, else the enclosing layer
        call's, else the default in this layer's call() signature."""
        if training is not None:
            return training
        if context.training is not None:
            return context.training
        return self._call_training_default

    def _call_nested(self, training, inputs, /, *args, **kwargs):
        """Run `call`, with the layer calls it makes seeing this one as their
        enclosing call: one level deeper, inheriting `training` (call_context.py)."""
        outer_training = context.training
        context.depth += 1
        context.training = training
        context.scope.append(self)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            context.scope.pop()
            context.depth -= 1
            context.training = outer_training

    def _remember_checked_shapes(self, shapes):
        """Keep the last few input shapes that passed the input spec, if any (a short list)."""
        self._checked_shapes = [shapes] + [known for known in self._checked_shapes[:3] if known != shapes]

    def _is_repeat_call(self, inputs, kwargs):
        """Is this call just like earlier ones, so that `_call_again` may run it?

        That is: the layer is built; `inputs` is one tensor (or NumPy
        array), already in the compute dtype, of a shape that has passed the
        input spec (whose dtype, if it names one, would need checking each
        time); at most `training` is passed; and nothing the full path
        handles is in play (masks, activity regularization, mixed precision,
        add_loss() losses of the last step still to clear). The checks read
        attributes only: they are cheaper than the steps they let
        `_call_again` skip.
        """
        array = inputs.data if isinstance(inputs, Tensor) else inputs
        return (
            type(array) is np.ndarray
            and array.shape in self._checked_shapes
            and array.dtype is self._compute_np_dtype
            and self.built
            and (not kwargs or (len(kwargs) == 1 and "training" in kwargs))
            and not self._input_spec_checks_dtype
            and self.activity_regularizer is None
            and not self._overrides_compute_mask
            and not self._mixed_precision
            and _autocast.dtype is None
            and get_keras_mask(inputs) is None
            and not (loss_holders and context.depth == 0)
        )

    def _call_again(self, inputs, kwargs):
        """`__call__` for a repeat call (see `_is_repeat_call`): the `training`
        flag and the call context, then `call`; every other step of the full
        path would find nothing to do."""
        if not isinstance(inputs, Tensor):
            inputs = Tensor(inputs)  # an array of the compute dtype: what conversion would give
        training = self._training_for(kwargs.get("training"))
        if training is not None and self._call_accepts_training:
            outputs = self._call_nested(training, inputs, training=training)
        else:
            outputs = self._call_nested(training, inputs)
        if outputs is None:
            raise returned_none_error(self)
        return outputs

    def _build_for(self, shapes):
        """Build with the shape(s) of the first call, exactly once."""
        check_build_shapes(self, shapes)
        with name_scope(self), no_recording():
            try:
                self.build(shapes)
            except (KeyError, IndexError, TypeError) as error:
                clearer = structure_error(self, shapes, error)
                if clearer is None:
                    raise
                raise clearer from error
        self.built = True
        state_version[0] += 1  # build may have assigned Variables or sublayers directly

    # -- shapes ---------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        """The output shape for an input shape (None = unknown size).

        The default runs `call` on placeholder zeros and reads the result
        (an mlkit extension: Keras's default raises NotImplementedError);
        layers whose output shape is easy to state override this.
        """
        from mlkit.layers.symbolic import infer_output_shape

        return infer_output_shape(self, input_shape)

    # -- configuration --------------------------------------------------------
    def get_config(self):
        """The constructor arguments that recreate this layer, as a JSON-able dict.

        Always 'name', 'trainable' and 'dtype' (and 'activity_regularizer' if
        set). A subclass adds its own arguments with
        `{**super().get_config(), "units": self.units}`. A subclass that does
        not override get_config() gets its constructor arguments (with their
        defaults) recorded automatically, as in Keras, if they are all plain
        values (str, int, float, bool, None, or lists/dicts of those).
        """
        self._check_super_init_called("get_config")
        config = {"name": self.name}
        if type(self).get_config is Layer.get_config:
            config.update(auto_config(self))
            parameters = inspect.signature(type(self).__init__).parameters.values()
            if not any(p.name == "name" or p.kind is p.VAR_KEYWORD for p in parameters):
                del config["name"]  # __init__ could not take it back
        config["trainable"] = self.trainable
        config["dtype"] = dtype_policies.serialize(self._dtype_policy)
        if self.activity_regularizer is not None:
            from mlkit import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """Create a layer from the dict `get_config()` returned: `cls(**config)`."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = dtype_policies.get(config["dtype"]).name
        try:
            return cls(**config)
        except Exception as error:
            raise config_error(cls, config, error) from None

    # -- the training step (an mlkit extension) -------------------------------
    @property
    def training_step(self):
        """The current training step of the model running this layer (mlkit extension).

        Keras layers cannot see the optimizer's step count without plumbing
        (see notebook 7). In mlkit any layer, however deeply nested, reads it
        here: 0 before training; during `fit` the number of optimizer steps
        already applied (0 for the first batch), the same for every call in
        one step; in evaluate/predict the count reached so far. Outside any
        model call it is 0.

            class Annealed(layers.Layer):
                def call(self, inputs):
                    weight = min(1.0, self.training_step / 1000)
                    self.add_loss(weight * ops.mean(inputs ** 2))
                    return inputs
        """
        return context.step

    def __repr__(self):
        name, built = self.__dict__.get("name"), self.__dict__.get("built", False)
        return f"<{type(self).__name__} name={name}, built={built}>"

    __str__ = __repr__


# The base call() names neither `training` nor `mask` (Keras passes them only
# to a call() that does).
Layer._call_accepts_training, Layer._call_accepts_mask, Layer._call_training_default = False, False, None
Layer._overrides_compute_mask = False
Layer._checked_shapes = ()  # until __init__ runs (so a forgotten super().__init__() is reported)


def _get_setting(module, kind, identifier, what):
    """`module.get(identifier)`, with an error that says which weight asked for it."""
    try:
        return module.get(identifier)
    except ValueError as error:
        raise ValueError(f"Invalid {kind} for {what}: {error}") from None
