"""`LayerNormalization`: normalize each example over its own features.

Where batch normalization takes statistics across the examples of a batch,
layer normalization takes them within one example, over the `axis` (by
default the last one):

    outputs = gamma * (x - mean(x)) / sqrt(variance(x) + epsilon) + beta

So it behaves the same in training and inference, keeps no moving
averages, and works for any batch size, even one example. `gamma` and
`beta` have one entry per position along the normalized axes.

    >>> from mlkit import layers, ops
    >>> ln = layers.LayerNormalization()
    >>> ln(ops.convert_to_tensor([[1.0, 3.0], [10.0, 30.0]])).numpy().round(2).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    >>> [w.name for w in ln.weights]
    ['gamma', 'beta']

Like Keras, the layer does not cast its inputs to its compute dtype before
normalizing (`autocast` is False): it computes in the inputs' precision, at
least float32, and casts the result to the compute dtype.

`rms_scaling=True` (deprecated in Keras, accepted as a keyword) skips the
centring and `beta`: `outputs = x / sqrt(variance(x) + epsilon) * gamma`.
"""

import warnings

import numpy as np

from mlkit import constraints, initializers, ops, regularizers
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.normalization.axes import axis_argument, resolve_axes
from mlkit.layers.normalization.standardize_op import standardize


class LayerNormalization(Layer):
    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        if rms_scaling:
            warnings.warn(
                f"LayerNormalization {self.name!r}: rms_scaling=True is deprecated in Keras; it "
                "divides by the standard deviation (not the root mean square) and drops beta. "
                "For RMS normalization proper, Keras offers keras.layers.RMSNormalization.",
                stacklevel=2,
            )
        self.axis = axis_argument(f"LayerNormalization {self.name!r}", axis)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.autocast = False

    def build(self, input_shape):
        axes = resolve_axes(f"LayerNormalization {self.name!r}", self.axis, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                trainable=True,
                autocast=False,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                trainable=True,
                autocast=False,
            )
        rank = len(input_shape)
        axis_list = self.axis if isinstance(self.axis, list) else [self.axis]
        if sorted(axis_list) == list(range(-len(axis_list), 0)):
            # The last axes, counted from the end (the usual axis=-1): gamma and
            # beta broadcast as they are, so inputs of any rank ending in these
            # sizes work, e.g. (batch, features) and (batch, time, features).
            self._axes = tuple(sorted(axis_list))
            self._broadcast_shape = None
            self.input_spec = InputSpec(min_ndim=len(axis_list), axes={a: input_shape[a] for a in axis_list})
        else:
            # Other axes: gamma and beta are reshaped to broadcast, e.g. to
            # (1, features, 1) for axis=1 of 3-d inputs, and the rank is fixed.
            self._axes = axes
            self._broadcast_shape = tuple(n if i in axes else 1 for i, n in enumerate(input_shape))
            self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})

    def call(self, inputs):
        if inputs.data.dtype == np.float16:
            inputs = ops.cast(inputs, "float32")  # statistics overflow easily in float16
        gamma, beta = self._broadcast(self.gamma), self._broadcast(self.beta)
        if self.rms_scaling:
            variance = ops.var(inputs, axis=self._axes, keepdims=True)
            outputs = inputs / ops.sqrt(variance + self.epsilon) * gamma
        else:
            outputs, _, _ = standardize(inputs, self._axes, gamma, beta, self.epsilon)
        if outputs.data.dtype != self.compute_dtype:
            outputs = ops.cast(outputs, self.compute_dtype)
        return outputs

    def _broadcast(self, vector):
        if vector is None or self._broadcast_shape is None:
            return vector
        return ops.reshape(vector, self._broadcast_shape)

    def compute_output_shape(self, input_shape):
        resolve_axes(f"LayerNormalization {self.name!r}", self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config
