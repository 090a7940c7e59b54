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
import warnings

import numpy as np

from mlkit import dtype_policies
from mlkit.backend.masking import any_masks, get_keras_mask, set_keras_mask
from mlkit.dtype_policies.autocast import state as _autocast
from mlkit.layers.call_context import context, name_scope
from mlkit.layers.layer_config import auto_config, config_error
from mlkit.layers.input_checks import check_build_shapes, complex_input_error, returned_none_error, structure_error
from mlkit.layers.input_spec import assert_input_compatibility
from mlkit.ops.autodiff import no_recording
from mlkit.ops.core import convert_to_tensor, standardize_dtype
from mlkit.ops.math import cast
from mlkit.ops.tensor import Tensor
from mlkit.layers.tracking import changes_structure, state_version, track
from mlkit.utils.naming import to_snake_case, unique_name
from mlkit.variable import Variable

# Attributes that hold bookkeeping, never sublayers or weights to discover
# (add_weight's own lists are read directly by _own_variables).
_UNTRACKED = frozenset({
    "_inbound_nodes", "_outbound_nodes", "_auto_config", "_input_spec_cache",
    "_trainable_variables", "_non_trainable_variables", "_losses", "_last_checked_shapes",
    "_cached_trainable", "_structure_cache",
})

# Layers that hold losses from add_loss() right now; cleared on the next outer call.
_loss_holders = []

# Bumped whenever sublayers or weights are added or trainable flags change
# (see tracking.py), so the answers of _tracked, _flatten_layers and friends
# are computed once and reused on every training step.

# Keyword arguments Layer.__init__ accepts besides its own, for Sequential's
# first layer (`Dense(4, input_shape=(3,))`) as in Keras 3 (which dropped
# Keras 2's `batch_input_shape` and `batch_size`).
_SHAPE_KWARGS = ("input_shape", "input_dim")


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
        unknown = [key for key in kwargs if key not in _SHAPE_KWARGS]
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {key: kwargs[key] for key in unknown} }. Check the spelling; the arguments "
                "every layer accepts are name, dtype, trainable, autocast and activity_regularizer"
                f"{_legacy_hint(unknown)}."
            )
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(
                f"{type(self).__name__}: `name` must be a string without '/', got name={name!r}."
            )
        if not isinstance(trainable, bool):
            raise ValueError(
                f"{type(self).__name__}: expected `trainable` to be a boolean (True or False), "
                f"got trainable={trainable!r} (of type {type(trainable).__name__})."
            )
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
        self._input_shape_arg = _input_shape_from_kwargs(kwargs, self)
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

    def __setattr__(self, name, value):
        if name not in _UNTRACKED and changes_structure(value):
            if isinstance(value, Layer) and self.__dict__.get("built") and not self._building:
                self._refuse_new_state(f"a sublayer ({name} = {type(value).__name__}(...))")
            value = track(value)
            state_version[0] += 1
        object.__setattr__(self, name, value)

    def _refuse_new_state(self, what):
        raise ValueError(
            f"Layer {self.name!r} ({type(self).__name__}) tried to add {what} after it was built. "
            "You cannot add new elements of state (variables or sub-layers) to a layer that is "
            "already built: create them in __init__() or in build(), never in call() or later."
        )

    def _cached(self, key, compute):
        """`compute()`, remembered until the structure of any layer changes."""
        cache = self.__dict__.get("_structure_cache")
        if cache is None or cache[0] != state_version[0]:
            cache = (state_version[0], {})
            self.__dict__["_structure_cache"] = cache
        if key not in cache[1]:
            cache[1][key] = compute()
        return cache[1][key]

    def _tracked(self):
        """(sublayers, attribute variables) found among this layer's attributes."""
        return self._cached("tracked", self._scan_attributes)

    def _scan_attributes(self):
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
        """This layer (optionally) and its sublayers, depth first, each once."""
        key = ("flatten", include_self, recursive)
        return list(self._cached(key, lambda: self._collect_layers(include_self, recursive)))

    def _collect_layers(self, include_self, recursive):
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
        """This layer's variables: trainable ones first, then the others (as in Keras).

        Besides those from add_weight, a Variable assigned as an attribute (also
        inside a list or dict) counts; it is filed as trainable or not by its
        flag when a layer first tracks it, so freezing can later restore it.
        """
        return list(self._cached("own_variables", self._collect_own_variables))

    def _collect_own_variables(self):
        trainable = list(self._trainable_variables)
        non_trainable = list(self._non_trainable_variables)
        known = {id(v) for v in trainable} | {id(v) for v in non_trainable}
        for variable in self._tracked()[1]:
            if id(variable) not in known:
                if variable._tracked_trainable is None:
                    variable._tracked_trainable = variable.trainable
                (trainable if variable._tracked_trainable else non_trainable).append(variable)
                known.add(id(variable))
        return trainable + non_trainable

    @property
    def weights(self):
        """All weights: this layer's own (trainable first), then each sublayer's."""
        return list(self._cached("weights", self._collect_weights))

    def _collect_weights(self):
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
        state_version[0] += 1
        for variable in self._own_variables():
            if variable._tracked_trainable:
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
        policy = dtype_policies.get(value)
        self._dtype_policy = policy
        self._mixed_precision = policy.compute_dtype != policy.variable_dtype
        # Compared by identity in every call (a dtype's .name is slow to build).
        self._compute_np_dtype = np.dtype(policy.compute_dtype)

    @property
    def dtype(self):
        """The dtype of the weights (an alias of `variable_dtype`)."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype of the computation: float inputs are cast to it (if autocast)."""
        return self._dtype_policy.compute_dtype

    @property
    def input_dtype(self):
        """The dtype inputs are converted to (the compute dtype)."""
        return self._dtype_policy.compute_dtype

    # -- input checks ----------------------------------------------------------
    @property
    def input_spec(self):
        """An `InputSpec` (or a list, one per input) that inputs are checked against."""
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        self._input_spec = value
        self._last_checked_shapes = None  # check the next call against the new spec
        specs = value if isinstance(value, (list, tuple)) else [value]
        self._input_spec_checks_dtype = any(getattr(spec, "dtype", None) is not None for spec in specs)

    # -- losses ---------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss tensor (or a list of them) during `call`.

        The losses stay in `layer.losses` until the next outermost layer call.
        """
        losses = list(loss) if isinstance(loss, (list, tuple)) else [loss]
        for index, item in enumerate(losses):
            if isinstance(item, (np.ndarray, np.generic)):
                losses[index] = Tensor(np.asarray(item))
            elif not isinstance(item, Tensor):
                raise ValueError(
                    f"Layer {self.name!r}: add_loss() expects a tensor computed with mlkit.ops "
                    f"(e.g. `self.add_loss(ops.sum(x))`), got {item!r} of type {type(item).__name__}."
                )
        if not any(holder is self for holder in _loss_holders):
            _loss_holders.append(self)
        self._losses.extend(losses)

    @property
    def losses(self):
        """The scalar losses, in Keras's order: add_loss() losses (this layer's,
        then its sublayers'), then the regularizer penalties of the trainable weights."""
        collected = [loss for layer in self._flatten_layers() for loss in layer._losses]
        if self.trainable:
            regularized = self._cached("regularized", self._regularized_variables)
            collected += [v.regularizer(v) for v in regularized if v.trainable]
        return collected

    def _regularized_variables(self):
        """The weights that have a regularizer, each once."""
        found, seen = [], set()
        for layer in self._flatten_layers():
            for variable in layer._own_variables():
                if variable.regularizer is not None and id(variable) not in seen:
                    seen.add(id(variable))
                    found.append(variable)
        return found

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
        # The input spec is checked when the input shape changes (once, in a
        # training loop), and before and after build (which may refine it).
        spec = self._input_spec
        if spec is not None and (shapes != self._last_checked_shapes or self._input_spec_checks_dtype):
            assert_input_compatibility(spec, inputs, self.name)
            self._last_checked_shapes = shapes
        if not self.built:
            self._build_for(shapes)
            if self._input_spec is not None:
                assert_input_compatibility(self._input_spec, inputs, self.name)
                self._last_checked_shapes = shapes

        # `training`: the caller's value, else the enclosing layer call's, else
        # the default in this layer's call() signature; nested calls inherit it.
        training = kwargs.pop("training", None)
        outer_training = context.training
        if training is None:
            training = outer_training
            if training is None:
                training = self._call_training_default
        if training is not None and self._call_accepts_training:
            kwargs["training"] = training
        # Masks, by Keras's rules: a call() that takes `mask` receives the mask
        # attached to the inputs (unless one is passed); see _attach_output_masks.
        previous_mask = _mask_of(inputs) if any_masks() else None
        if self._call_accepts_mask:
            if previous_mask is not None and kwargs.get("mask") is None:
                kwargs["mask"] = previous_mask
        elif kwargs.get("mask") is not None:
            kwargs.pop("mask")

        if context.depth == 0:
            self._clear_losses()
        # Mixed precision: float variables are read in the compute dtype while
        # call() runs (an autocast scope, consulted only by Variable reads).
        outer_autocast = _autocast.dtype
        if outer_autocast is not None or self._mixed_precision:
            _autocast.dtype = self._variable_read_dtype(outer_autocast)
        context.depth += 1
        context.training = training
        context.scope.append(self)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            context.scope.pop()
            context.depth -= 1
            context.training = outer_training
            _autocast.dtype = outer_autocast
        if outputs is None:
            raise returned_none_error(self)
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        if self.supports_masking:
            if previous_mask is not None or self._overrides_compute_mask:
                self._attach_output_masks(inputs, outputs, previous_mask)
        elif previous_mask is not None and not self._call_accepts_mask:
            warnings.warn(
                f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input with a "
                "mask attached to it, but it does not support masking, so later layers will not "
                "see the mask. Set `self.supports_masking = True` in its __init__ if its output "
                "keeps the time steps of its input, or define compute_mask().",
                stacklevel=2,
            )
        return outputs

    def compute_mask(self, inputs, previous_mask):
        """The mask of this layer's output: by default the input's mask, unchanged.

        Only asked when `supports_masking` is True (it is for a layer that
        overrides this method). Return None to drop the mask, e.g. after a
        layer that removes the time axis.
        """
        return previous_mask

    def _attach_output_masks(self, inputs, outputs, previous_mask):
        """Attach compute_mask()'s answer to the outputs that carry no mask yet (as Keras does)."""
        flat_outputs = [x for x in _flatten(outputs) if isinstance(x, Tensor)]
        if not flat_outputs or all(get_keras_mask(x) is not None for x in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        flat_masks = _flatten(masks) if isinstance(outputs, (list, tuple, dict)) else [masks]
        for output, mask in zip(flat_outputs, flat_masks):
            if mask is not None and get_keras_mask(output) is None:
                set_keras_mask(output, mask)

    def _variable_read_dtype(self, outer_dtype):
        """The dtype float variables are read in during this layer's call, by Keras's rules.

        A mixed-precision layer opens a scope in its compute dtype; inside an
        open scope, a layer switches it to its own compute dtype, or closes it
        (None) if it has autocast=False or computes in a non-float dtype.
        """
        compute_dtype = self._dtype_policy.compute_dtype
        if outer_dtype is None:
            return compute_dtype
        if not self.autocast or np.dtype(compute_dtype).kind != "f":
            return None
        return compute_dtype

    def _add_activity_losses(self, outputs):
        """activity_regularizer(output) per output, divided by the batch size as in Keras."""
        for output in _flatten(outputs):
            if isinstance(output, Tensor):
                loss = self.activity_regularizer(output)
                if output.ndim > 0 and output.shape[0] > 0:
                    loss = loss / output.shape[0]
                self.add_loss(loss)

    def _convert_inputs(self, inputs):
        """Inputs as tensors (lists, tuples and dicts of them keep their structure);
        float inputs are cast to the compute dtype (autocast)."""
        if isinstance(inputs, Tensor):
            return self._convert_input(inputs)
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(self._convert_inputs(x) for x in inputs)
        if isinstance(inputs, dict):
            return {key: self._convert_inputs(x) for key, x in inputs.items()}
        if isinstance(inputs, (str, bytes)) or (isinstance(inputs, (int, float)) and not isinstance(inputs, bool)):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects tensor inputs, got the "
                f"{type(inputs).__name__} {inputs!r}. Only input tensors may be passed as "
                "positional arguments: wrap numbers in an array, e.g. `np.array([[1.0, 2.0]])`, "
                "and pass other settings as keyword arguments."
            )
        return self._convert_input(inputs)

    def _convert_input(self, x):
        if isinstance(x, Tensor):
            dtype = x.data.dtype
            if dtype is self._compute_np_dtype:  # the usual case, decided by identity
                return x
            if self.autocast and dtype.kind == "f" and dtype != self._compute_np_dtype:
                return cast(x, self._dtype_policy.compute_dtype)
            if dtype.kind == "c":
                raise complex_input_error(self, dtype)
            return x
        if x is None or isinstance(x, bool):
            return x
        try:
            tensor = convert_to_tensor(x)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Layer {self.name!r} ({type(self).__name__}) expects numeric inputs: {error}") from None
        kind = tensor.data.dtype.kind
        if kind == "c":
            raise complex_input_error(self, tensor.data.dtype)
        if kind not in "biuf":
            raise TypeError(
                f"Layer {self.name!r} ({type(self).__name__}) expects numeric inputs (floats or "
                f"integers), got an array of dtype {tensor.data.dtype}. Convert the data to "
                "numbers first, e.g. `np.asarray(x, dtype='float32')`."
            )
        if self.autocast and kind == "f" and tensor.data.dtype != self._compute_np_dtype:
            tensor = Tensor(tensor.data.astype(self._compute_np_dtype))
        return tensor

    def _build_for(self, shapes):
        """Build with the shape(s) of the first call, exactly once."""
        check_build_shapes(self, shapes)
        with name_scope(self), no_recording():
            try:
                self.build(_shapes_for_build(shapes))
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

    # -- where the layer sits in a functional graph ----------------------------
    def _first_node(self, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"Layer {self.name!r} has no {what} yet: it has never been called on a symbolic "
                f"input (from mlkit.Input). `{what}` is defined for layers in a functional model."
            )
        return nodes[0]

    @property
    def input(self):
        """The symbolic input(s) of the first call in a functional graph."""
        node = self._first_node("input")
        return node.call_args[0] if node.call_args else node.outputs

    @property
    def output(self):
        """The symbolic output(s) of the first call in a functional graph."""
        return self._first_node("output").outputs

    @property
    def input_shape(self):
        """`self.input.shape` (mlkit extension: Keras 2 had it, Keras 3 has only `input`)."""
        return _shape_of_structure(self.input)

    @property
    def output_shape(self):
        """`self.output.shape` (mlkit extension: Keras 2 had it, Keras 3 has only `output`)."""
        return _shape_of_structure(self.output)

    def __repr__(self):
        name, built = self.__dict__.get("name"), self.__dict__.get("built", False)
        return f"<{type(self).__name__} name={name}, built={built}>"

    __str__ = __repr__


# The base call() names neither `training` nor `mask` (Keras passes them only
# to a call() that does).
Layer._call_accepts_training, Layer._call_accepts_mask, Layer._call_training_default = False, False, None
Layer._overrides_compute_mask = False


def _mask_of(inputs):
    """The mask(s) attached to the inputs: one mask, a list of them, or None if there is none."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(x) for x in inputs]
        return None if all(mask is None for mask in masks) else masks
    return get_keras_mask(inputs)


def _shape_of_structure(structure):
    if isinstance(structure, (list, tuple)):
        return [_shape_of_structure(item) for item in structure]
    if isinstance(structure, dict):
        return {key: _shape_of_structure(item) for key, item in structure.items()}
    return structure.shape


def _build_wrapper(build):
    """Wrap a subclass's build(): mark the layer built afterwards, as Keras does."""

    @functools.wraps(build)
    def wrapped(self, *args, **kwargs):
        self._check_super_init_called("build")
        was_building = self._building
        # A second build() of a built layer may not create state again (as in Keras).
        self._building = was_building or not self.built
        # Built by hand (`self.inner.build(shape)`), a layer still names its weights "outer/inner/...".
        opens_scope = not context.scope or context.scope[-1] is not self
        if opens_scope:
            context.scope.append(self)
        try:
            result = build(self, *args, **kwargs)
        finally:
            self._building = was_building
            if opens_scope:
                context.scope.pop()
        self.built = True
        return result

    wrapped._mlkit_build_wrapper = True
    return wrapped


def _input_shape_from_kwargs(kwargs, layer):
    """The full input shape (batch axis None) given by `input_shape=` or `input_dim=`."""
    if kwargs.get("input_dim") is not None:
        return (None, kwargs["input_dim"])
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        if not isinstance(shape, (tuple, list)):
            raise TypeError(
                f"Layer {layer.name!r} ({type(layer).__name__}): `input_shape` must be a tuple of "
                f"sizes without the batch axis, got input_shape={shape!r}. For samples of "
                f"{shape!r} features write input_shape=({shape!r},)."
            )
        return (None,) + tuple(shape)
    return None


def _get_setting(module, kind, identifier, what):
    """`module.get(identifier)`, with an error that says which weight asked for it."""
    try:
        return module.get(identifier)
    except ValueError as error:
        raise ValueError(f"Invalid {kind} for {what}: {error}") from None


def _legacy_hint(unknown):
    if "batch_input_shape" in unknown or "batch_size" in unknown:
        return (
            " (Keras 2's `batch_input_shape`/`batch_size` are gone in Keras 3: start the model "
            "with `mlkit.Input(shape=..., batch_size=...)` or pass `input_shape=` without the batch axis)"
        )
    return ""


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


def _shapes_for_build(shapes):
    return shapes
