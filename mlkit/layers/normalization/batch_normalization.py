"""`BatchNormalization`: keep each channel's activations centred and scaled.

For every channel (the `axis`, by default the last one) the layer computes

    outputs = gamma * (inputs - mean) / sqrt(variance + epsilon) + beta

with a learned scale `gamma` and offset `beta`. Which `mean` and `variance`
depends on the `training` flag — the reason this layer is the textbook
example of it:

- `training=True` (inside `fit`, or `layer(x, training=True)`): the mean and
  the (biased) variance of the current batch, per channel. Each such call
  also updates two moving averages:

      moving_mean     = moving_mean * momentum     + batch_mean * (1 - momentum)
      moving_variance = moving_variance * momentum + batch_variance * (1 - momentum)

- `training=False` or unset (`predict`, `evaluate`, a plain call): those
  moving averages, so a single example gives the same answer whatever batch
  it arrives in.

`moving_mean` and `moving_variance` are weights the optimizer never touches:
they are *non-trainable*. The layer changes them itself, with `assign`.

    >>> from mlkit import layers, ops
    >>> bn = layers.BatchNormalization()
    >>> x = ops.convert_to_tensor([[0.0, 10.0], [2.0, 30.0]])
    >>> bn(x, training=True).numpy().round(2).tolist()   # batch statistics
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> [w.name for w in bn.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    >>> [w.name for w in bn.non_trainable_weights]
    ['moving_mean', 'moving_variance']
    >>> print(bn.moving_mean.numpy().round(3))   # 0 * 0.99 + [1, 20] * (1 - 0.99)
    [0.01 0.2 ]

Freezing (fine-tuning): a `BatchNormalization` whose `trainable` is False
always runs in inference mode, even when called with `training=True`: it
uses and keeps its moving statistics. So freezing a pretrained model's
batch-norm layers keeps the statistics they learned, as in Keras.

mlkit extension: `axis` may also be a list of axes (Keras 3 accepts an int
only); the weights then have one entry per position along all those axes.
"""

import numpy as np

from mlkit import constraints, initializers, ops, regularizers
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.normalization.axes import axis_argument, resolve_axes
from mlkit.layers.normalization.standardize_op import standardize


class BatchNormalization(Layer):
    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis = axis_argument(f"BatchNormalization {self.name!r}", axis)
        if synchronized:
            raise ValueError(
                f"BatchNormalization {self.name!r}: synchronized=True (statistics shared across "
                "devices) is only supported by the TensorFlow backend of Keras; mlkit runs on one "
                "device. Use synchronized=False."
            )
        self.synchronized = synchronized
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        axes = resolve_axes(f"BatchNormalization {self.name!r}", self.axis, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                trainable=True,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                trainable=True,
                autocast=False,
            )
        self.moving_mean = self.add_weight(
            shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
            trainable=False, autocast=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape, name="moving_variance", initializer=self.moving_variance_initializer,
            trainable=False, autocast=False,
        )
        rank = len(input_shape)
        named_axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in named_axes})
        # Statistics are taken over every axis except the normalized ones.
        self._reduction_axes = tuple(i for i in range(rank) if i not in axes)
        # Per-channel vectors broadcast against the inputs as they are when the
        # channels are the last axis; otherwise they are reshaped, e.g. to
        # (1, channels, 1, 1) for channels_first images.
        if axes == (rank - 1,):
            self._broadcast_shape = None
        else:
            self._broadcast_shape = tuple(n if i in axes else 1 for i, n in enumerate(input_shape))

    def call(self, inputs, training=None):
        half_precision = inputs.data.dtype == np.float16
        if half_precision:
            # Statistics overflow easily in float16: compute them in float32.
            inputs = ops.cast(inputs, "float32")

        if training and self.trainable:
            outputs, batch_mean, batch_variance = standardize(
                inputs, self._reduction_axes, self._broadcast(self.gamma), self._broadcast(self.beta), self.epsilon
            )
            self._update_moving_statistics(batch_mean, batch_variance)
        else:
            outputs = self._normalize_with_moving_statistics(inputs)

        if half_precision:
            outputs = ops.cast(outputs, "float16")
        return outputs

    def _update_moving_statistics(self, batch_mean, batch_variance):
        # The moving statistics are no part of the gradient, so the update is
        # plain NumPy on the variables' values, stored with `assign`.
        momentum = self.momentum
        batch_mean = batch_mean.reshape(self.moving_mean.shape)
        batch_variance = batch_variance.reshape(self.moving_variance.shape)
        self.moving_mean.assign(self.moving_mean.data * momentum + batch_mean * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance.data * momentum + batch_variance * (1.0 - momentum))

    def _normalize_with_moving_statistics(self, inputs):
        # The per-channel vectors fold into one scale and one shift,
        #   gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
        #     = x * scale + shift,
        # so the full-size inputs see just one multiply and one add. The moving
        # statistics are constants here (NumPy); gamma and beta stay tensors so
        # that their gradients flow.
        inverse_std = 1.0 / np.sqrt(self.moving_variance.data + self.epsilon)
        scale = inverse_std if self.gamma is None else self.gamma * inverse_std
        shift = -self.moving_mean.data * scale
        if self.beta is not None:
            shift = shift + self.beta
        return inputs * self._broadcast(scale) + self._broadcast(shift)

    def _broadcast(self, vector):
        if vector is None or self._broadcast_shape is None:
            return vector
        if isinstance(vector, np.ndarray):
            return vector.reshape(self._broadcast_shape)
        return ops.reshape(vector, self._broadcast_shape)

    def compute_output_shape(self, input_shape):
        resolve_axes(f"BatchNormalization {self.name!r}", self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized,
            }
        )
        return config
