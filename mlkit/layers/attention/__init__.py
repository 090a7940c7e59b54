"""Attention layers: every step of a sequence looks at every step of another."""

from mlkit.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["MultiHeadAttention"]
