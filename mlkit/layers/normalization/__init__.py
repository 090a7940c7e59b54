"""Layers: normalization — keep activations at a steady scale while training.

    >>> from mlkit import layers
    >>> layers.BatchNormalization().momentum, layers.LayerNormalization().epsilon
    (0.99, 0.001)

- `BatchNormalization`: per channel, with the statistics of the batch in
  training and moving averages of them at inference.
- `LayerNormalization`: per example, over its own features.

Both share `standardize` (standardize_op.py), a fused op with a hand-written
backward pass.
"""

from mlkit.layers.normalization.batch_normalization import BatchNormalization
from mlkit.layers.normalization.layer_normalization import LayerNormalization

__all__ = ["BatchNormalization", "LayerNormalization"]
