"""`MultiHeadAttention`: several attention heads side by side, as in Transformers.

Each head projects the query, key and value sequences (`key_dim` numbers per
step for queries and keys, `value_dim` for values), scores every query step
against every key step, `softmax(Q Kᵀ / sqrt(key_dim))`, and averages the
value steps with those weights. The heads' results are merged back into
`output_shape` features (the query's feature count by default).

    >>> import numpy as np
    >>> from mlkit import layers
    >>> attention = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    >>> query, value = np.ones((3, 5, 8)), np.ones((3, 7, 6))
    >>> output, scores = attention(query, value, return_attention_scores=True)
    >>> output.shape, scores.shape          # scores: (batch, heads, query steps, key steps)
    ((3, 5, 8), (3, 2, 5, 7))
    >>> [w.path for w in attention.weights][::2]
    ['mha/query/kernel', 'mha/key/kernel', 'mha/value/kernel', 'mha/attention_output/kernel']

Masks, as in Keras: `attention_mask` (batch, query steps, key steps) says
which key steps each query step may attend to; masks attached to `query` and
`value` (from `Embedding(mask_zero=True)` or `Masking`) and
`use_causal_mask=True` (no looking ahead) are combined with it.
"""

import math

import numpy as np

from mlkit import ops
from mlkit.backend.masking import get_keras_mask
from mlkit.layers.attention.head_projection import HeadMerge, HeadProjection
from mlkit.layers.activations.softmax import Softmax
from mlkit.layers.layer import Layer
from mlkit.layers.regularization.dropout import Dropout
from mlkit.layers.weight_settings import set_weight_settings, weight_settings_config


class MultiHeadAttention(Layer):
    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for argument, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"MultiHeadAttention {self.name!r}: {argument} must be a positive integer, got "
                    f"{argument}={value!r}. Example: MultiHeadAttention(num_heads=2, key_dim=16)."
                )
        unsupported = {"attention_axes": attention_axes, "sliding_window": sliding_window}
        unsupported["use_gate"] = use_gate or None
        for argument, value in unsupported.items():
            if value is not None:
                raise NotImplementedError(
                    f"MultiHeadAttention {self.name!r}: {argument}={value!r} is not supported by "
                    "mlkit; attention runs over the steps axis (axis 1) of (batch, steps, features) "
                    f"inputs. Leave {argument} at its default."
                )
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim is not None else key_dim
        self.dropout = dropout
        self.use_bias = use_bias
        self.output_shape_argument = output_shape
        self.seed = seed
        set_weight_settings(self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        set_weight_settings(self, "bias", bias_initializer, bias_regularizer, bias_constraint)
        self.supports_masking = True  # the output keeps the query's steps, and its mask
        # Each projection gets its own copy of every setting (from its config, as
        # Keras does), so an unseeded initializer draws fresh values for each.
        settings = {"dtype": self.dtype_policy, "use_bias": use_bias,
                    **weight_settings_config(self, ["kernel", "bias"])}
        # Created in this order, so the weights come as in Keras: query, key, value, output.
        self._query_dense = HeadProjection(num_heads, key_dim, name="query", **settings)
        self._key_dense = HeadProjection(num_heads, key_dim, name="key", **settings)
        self._value_dense = HeadProjection(num_heads, self.value_dim, name="value", **settings)
        self._output_dense = None
        self._output_settings = settings
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=dropout, seed=seed, dtype=self.dtype_policy)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the four projections (value_shape defaults to query_shape, key_shape to value_shape)."""
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        self._query_dense.build(query_shape)
        self._key_dense.build(key_shape)
        self._value_dense.build(value_shape)
        self._output_dense = HeadMerge(self._output_units(query_shape), name="attention_output", **self._output_settings)
        self._output_dense.build(tuple(query_shape[:-1]) + (self.num_heads, self.value_dim))

    def _output_units(self, query_shape):
        shape = self.output_shape_argument
        if shape is None:
            return query_shape[-1]
        return shape if isinstance(shape, int) else shape[-1]

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(
                f"MultiHeadAttention {self.name!r} needs a `value` sequence: call it as "
                "attention(query, value), or attention(x, x) for self-attention."
            )
        if not self.built and not _is_symbolic(query):
            self.build(_shape(query), _shape(value), None if key is None else _shape(key))
        return super().__call__(query, value, key, **kwargs)

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        key = value if key is None else key
        value = ops.convert_to_tensor(value, dtype=query.dtype)
        key = ops.convert_to_tensor(key, dtype=query.dtype)
        query_mask = get_keras_mask(query) if query_mask is None else query_mask
        value_mask = get_keras_mask(value) if value_mask is None else value_mask
        key_mask = get_keras_mask(key) if key_mask is None else key_mask
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)

        # (batch, steps, heads, size); the query is scaled first, as Keras does.
        queries = self._query_dense(query) * (1.0 / math.sqrt(self.key_dim))
        keys = self._key_dense(key)
        values = self._value_dense(value)
        scores = ops.einsum("bshd,bthd->bhts", keys, queries)  # (batch, heads, query steps, key steps)
        # Masked scores get weight 0 (a query step with nothing to attend to gets all zeros).
        weights = self._softmax(scores, mask=None if mask is None else ops.expand_dims(mask, 1))
        dropped = self._dropout_layer(weights, training=training)
        attended = ops.einsum("bhts,bshd->bthd", dropped, values)
        output = self._output_dense(attended)
        return (output, weights) if return_attention_scores else output

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """The (batch, query steps, key steps) booleans of what may be attended to, or None."""
        mask = None
        if query_mask is not None:
            mask = ops.expand_dims(ops.cast(query_mask, "bool"), -1)  # (batch, T, 1)
        for step_mask in (value_mask, key_mask):
            if step_mask is not None:
                step_mask = ops.expand_dims(ops.cast(step_mask, "bool"), -2)  # (batch, 1, S)
                mask = step_mask if mask is None else ops.logical_and(mask, step_mask)
        if use_causal_mask:
            steps, key_steps = query.shape[1], value.shape[1]
            causal = ops.convert_to_tensor(np.tril(np.ones((steps, key_steps), dtype=bool)))
            mask = causal[None] if mask is None else ops.logical_and(mask, causal)
        if attention_mask is not None:
            attention_mask = ops.cast(attention_mask, "bool")
            mask = attention_mask if mask is None else ops.logical_and(mask, attention_mask)
        return mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape[:-1]) + (self._output_units(query_shape),)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "use_gate": False,
                "output_shape": self.output_shape_argument,
                "attention_axes": None,
                "sliding_window": None,
                **weight_settings_config(self, ["kernel", "bias"], activity_regularizer=True),
                "seed": self.seed,
            }
        )
        return config


def _shape(x):
    return tuple(getattr(x, "shape", None) or np.shape(x))


def _is_symbolic(x):
    return getattr(x, "_is_symbolic_tensor", False)
