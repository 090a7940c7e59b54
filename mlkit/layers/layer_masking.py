"""Masks: how "these time steps are padding" travels from layer to layer.

A layer such as `Masking` or `Embedding(mask_zero=True)` attaches a mask to
its output. By Keras's rules, `Layer.__call__` then:

- passes the mask of the inputs to a `call()` that has a `mask` argument;
- attaches `compute_mask(inputs, previous_mask)` to the outputs of a layer
  with `supports_masking = True` (true for a layer that overrides
  `compute_mask`), so the next layer receives it;
- warns when a masked input reaches a layer that would silently drop it.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> masked = layers.Masking(mask_value=0.0)(np.array([[[1.0], [0.0]]]))
    >>> layers.Identity()(masked)._keras_mask.numpy().tolist()
    [[True, False]]

`Layer` gets these from `MaskPropagation`.
"""

import warnings

from mlkit.backend.masking import any_masks, get_keras_mask, set_keras_mask
from mlkit.utils.tree import flatten
from mlkit.ops.tensor import Tensor


class MaskPropagation:
    """`compute_mask` and the mask plumbing of `__call__` (a mixin of `Layer`)."""

    def compute_mask(self, inputs, previous_mask):
        """The mask of this layer's output: by default the input's mask, unchanged.

        Only asked when `supports_masking` is True (it is for a layer that
        overrides this method). Return None to drop the mask, e.g. after a
        layer that removes the time axis.
        """
        return previous_mask

    def _mask_for_call(self, inputs, kwargs):
        """The mask attached to the inputs (or None); put into `kwargs` if call() takes `mask`."""
        previous_mask = mask_of(inputs) if any_masks() else None
        if self._call_accepts_mask:
            if previous_mask is not None and kwargs.get("mask") is None:
                kwargs["mask"] = previous_mask
        elif kwargs.get("mask") is not None:
            kwargs.pop("mask")
        return previous_mask

    def _pass_mask_on(self, inputs, outputs, previous_mask):
        """Attach the output's mask, or warn that a mask is being dropped."""
        if self.supports_masking:
            if previous_mask is not None or self._overrides_compute_mask:
                self._attach_output_masks(inputs, outputs, previous_mask)
        elif previous_mask is not None and not self._call_accepts_mask:
            warnings.warn(
                f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input with a "
                "mask attached to it, but it does not support masking, so later layers will not "
                "see the mask. Set `self.supports_masking = True` in its __init__ if its output "
                "keeps the time steps of its input, or define compute_mask().",
                stacklevel=3,  # the line that called the layer
            )

    def _attach_output_masks(self, inputs, outputs, previous_mask):
        """Attach compute_mask()'s answer to the outputs that carry no mask yet (as Keras does)."""
        flat_outputs = [x for x in flatten(outputs) if isinstance(x, Tensor)]
        if not flat_outputs or all(get_keras_mask(x) is not None for x in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        flat_masks = flatten(masks) if isinstance(outputs, (list, tuple, dict)) else [masks]
        for output, mask in zip(flat_outputs, flat_masks):
            if mask is not None and get_keras_mask(output) is None:
                set_keras_mask(output, mask)


def mask_of(inputs):
    """The mask(s) attached to the inputs: one mask, a list of them, or None if there is none."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_keras_mask(x) for x in inputs]
        return None if all(mask is None for mask in masks) else masks
    return get_keras_mask(inputs)
