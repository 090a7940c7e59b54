"""Layers: normalization. (Filled in by the standard-layers work.)"""

__all__ = []
