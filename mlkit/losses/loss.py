"""`Loss`: the base class of every loss, and the wrappers that turn a function into one.

Subclass `Loss` and write `call(y_true, y_pred)` returning one loss value
per sample; calling the loss object then applies the sample weights and the
reduction (see `mlkit.losses.reduction`), so `fit` gets a single number.

    >>> from mlkit import losses, ops
    >>> class MeanFourthPower(losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.mean((y_pred - y_true) ** 4, axis=-1)
    >>> loss = MeanFourthPower()
    >>> loss.name
    'mean_fourth_power'
    >>> float(loss([[0.0], [0.0]], [[1.0], [2.0]]))   # (1 + 16) / 2
    8.5
"""

from mlkit.losses.reduction import (
    as_tensor,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from mlkit import ops
from mlkit.backend.masking import get_keras_mask
from mlkit.ops.core import standardize_dtype
from mlkit.ops.tensor import Tensor
from mlkit.utils.naming import to_snake_case, unique_name


# Loss functions whose mean over a batch can be one autodiff node: the
# function -> a function taking the same arguments that returns that node,
# or None where it would not equal the function followed by `ops.mean`.
# Filled in where the functions are defined (probabilistic.py).
MEAN_IN_ONE_NODE = {}


class Loss:
    """Base class of losses: implement `call(y_true, y_pred)`.

    Args:
        name: the loss's name (default: the class name in snake_case).
        reduction: how per-sample losses become one value: "sum_over_batch_size"
            (default), "sum", "mean", "mean_with_sample_weight", or None/"none".
        dtype: the dtype the loss computes in (default `backend.floatx()`);
            `y_true` and `y_pred` are converted to it before `call`.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_dtype(dtype)

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not hasattr(self, "reduction"):
            raise RuntimeError(
                f"{type(self).__name__} was not initialized: call `super().__init__()` in its "
                "`__init__()` before using the loss."
            )
        if sample_weight is None and self.reduction == "sum_over_batch_size":
            mean = self._mean_in_one_node(y_true, y_pred)
            if mean is not None:  # the same value and gradient as below, in one graph node
                return mean
        y_pred = as_tensor(y_pred, self._dtype)
        if not self._takes_class_ids(y_true):
            y_true = as_tensor(y_true, self._dtype)
        values = self.call(y_true, y_pred)
        mask = get_keras_mask(values)
        if mask is None:
            mask = get_keras_mask(y_pred)
        if mask is None and sample_weight is None and self.reduction == "sum_over_batch_size":
            # The usual case in fit(): no weights, no mask — just the mean.
            return ops.mean(values)
        return reduce_weighted_values(
            values, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=self._dtype
        )

    def _mean_in_one_node(self, y_true, y_pred):
        """The mean of `call`'s values as one autodiff node, or None (the default).

        Only built-in losses that have such a node return one (see
        `LossFunctionWrapper`), and only when it gives the same value and
        gradient as `call` followed by the mean.
        """
        return None

    def _takes_class_ids(self, y_true):
        """Whether `y_true` holds integer class ids that `call` uses as they are.

        Only the sparse cross-entropy's do: Keras would cast them to floats,
        and its function would cast them back to integers.
        """
        return False

    def call(self, y_true, y_pred):
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred) returning the loss "
            "of each sample."
        )

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"


class LossFunctionWrapper(Loss):
    """A `Loss` made from a function `fn(y_true, y_pred, **kwargs)` of per-sample losses.

    Keras uses it for the built-in loss classes and for plain functions given
    to `compile(loss=...)`; the extra `kwargs` are passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _mean_in_one_node(self, y_true, y_pred):
        if type(self).call is not LossFunctionWrapper.call:
            return None  # a subclass computes its values its own way
        try:
            mean_in_one_node = MEAN_IN_ONE_NODE.get(self.fn)
        except TypeError:  # an unhashable callable object
            return None
        if mean_in_one_node is None or not isinstance(y_pred, Tensor) or y_pred.dtype != self._dtype:
            return None
        if get_keras_mask(y_pred) is not None:
            return None
        return mean_in_one_node(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from mlkit.saving import serialize_keras_object

        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _function_from_config(config["fn"])
        return cls(**config)

    def __repr__(self):
        name = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({name}, kwargs={self._fn_kwargs})>"


class BuiltinLoss(LossFunctionWrapper):
    """The base of the built-in loss classes: a fixed function and its keyword arguments.

    The class names the function, so its config is the `Loss` config plus
    the arguments, each kept as an attribute of the same name:

        >>> from mlkit import losses
        >>> loss = losses.Huber(delta=2.0)
        >>> loss.delta, loss.get_config()
        (2.0, {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0})
    """

    def __init__(self, fn, reduction, name, dtype, **arguments):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **arguments)
        for argument, value in arguments.items():
            setattr(self, argument, value)

    def get_config(self):
        config = Loss.get_config(self)
        config.update({argument: getattr(self, argument) for argument in self._fn_kwargs})
        return config


def _function_from_config(fn):
    """The loss function a config names: a built-in or a registered/custom one."""
    if callable(fn):
        return fn
    from mlkit import losses
    from mlkit.saving import deserialize_keras_object, get_registered_object

    if isinstance(fn, dict):
        return deserialize_keras_object(fn, module_objects=losses.ALL_OBJECTS_DICT)
    found = get_registered_object(fn, module_objects=losses.ALL_OBJECTS_DICT)
    if found is None:
        raise ValueError(
            f"Unknown loss function {fn!r} in the config. If it is your own function, pass it "
            f"when loading: custom_objects={{{fn!r}: {fn}}}."
        )
    return found
