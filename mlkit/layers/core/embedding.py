"""`Embedding`: look up a learned vector for each integer index.

The layer holds one matrix, `embeddings`, of shape `(input_dim, output_dim)`:
row `i` is the vector for index `i` (a word, a category, ...). Calling it on
integers of any shape `s` returns floats of shape `s + (output_dim,)`.

    >>> from mlkit import layers, ops
    >>> embed = layers.Embedding(input_dim=10, output_dim=4)
    >>> embed(ops.convert_to_tensor([[1, 2, 2], [0, 9, 3]])).shape
    (2, 3, 4)
    >>> embed.embeddings.shape, embed.embeddings.path
    ((10, 4), 'embedding/embeddings')

A lookup is a gather (`ops.take`), so its gradient goes only to the rows that
were used; a row used several times receives the sum of their gradients.
With `mask_zero=True`, index 0 means "padding": `compute_mask(inputs)` marks
those positions False so that mask-aware layers can skip them.
"""

import numpy as np

from mlkit import constraints, initializers, ops, regularizers
from mlkit.layers.layer import Layer


class Embedding(Layer):
    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for argument, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(
                    f"Embedding {self.name!r}: {argument} must be a positive integer, got "
                    f"{argument}={value!r}. input_dim is the vocabulary size (largest index + 1), "
                    "output_dim the length of each vector."
                )
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False  # the inputs are indices: never cast them to floats
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape=None):
        if self.built:
            return  # already built in __init__ from `weights`
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )

    def call(self, inputs):
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        indices = inputs.data
        # NumPy would read a negative index from the end of the table: refuse it, as Keras
        # does; an index past the end makes `take` raise. One pass over the indices, not two.
        if indices.size and indices.min() < 0:
            raise self._index_error(indices)
        try:
            return ops.take(self.embeddings, inputs, axis=0)
        except IndexError:
            raise self._index_error(indices) from None

    def _index_error(self, indices):
        return ValueError(
            f"Embedding {self.name!r}: every input index must be in 0..{self.input_dim - 1}, "
            f"got indices from {int(indices.min())} to {int(indices.max())}. input_dim must "
            "be the vocabulary size (the largest index + 1), and indices are never negative."
        )

    def compute_mask(self, inputs, mask=None):
        """True where the index is not 0 (padding), when `mask_zero=True`."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
            }
        )
        return config
