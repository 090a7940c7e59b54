"""Losses a layer adds itself: `add_loss`, activity regularization, weight penalties.

A layer may add a scalar to the model's loss while it runs, e.g. a penalty
on its output. `layer.losses` collects those of the layer and of every
sublayer, then the regularizer penalties of the trainable weights:

    >>> from mlkit import layers, ops
    >>> class Sparse(layers.Layer):
    ...     def call(self, inputs):
    ...         self.add_loss(0.01 * ops.sum(ops.abs(inputs)))
    ...         return inputs
    >>> sparse = Sparse()
    >>> _ = sparse(ops.ones((2, 3)))
    >>> len(sparse.losses)
    1

Losses from one call are cleared when the next outermost layer call starts,
so they never pile up over training steps. `Layer` gets these from
`LayerLosses`.
"""

import numpy as np

from mlkit.utils.tree import flatten
from mlkit.ops.tensor import Tensor

# Layers that hold losses from add_loss() right now; cleared on the next outer call.
loss_holders = []


class LayerLosses:
    """`add_loss`, `losses` and their clearing (a mixin of `Layer`)."""

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
        if not any(holder is self for holder in loss_holders):
            loss_holders.append(self)
        self._losses.extend(losses)

    @property
    def losses(self):
        """The scalar losses, in Keras's order: add_loss() losses (this layer's,
        then its sublayers'), then the regularizer penalties of the trainable weights."""
        # Only the layers in `loss_holders` hold add_loss() losses: with none, skip the walk.
        collected = [loss for layer in self._flatten_layers() for loss in layer._losses] if loss_holders else []
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
        if not loss_holders:
            return
        mine = {id(layer) for layer in self._flatten_layers()}
        for holder in list(loss_holders):
            if id(holder) in mine:
                holder._losses = []
        loss_holders[:] = [h for h in loss_holders if id(h) not in mine]

    def _add_activity_losses(self, outputs):
        """activity_regularizer(output) per output, divided by the batch size as in Keras."""
        for output in flatten(outputs):
            if isinstance(output, Tensor):
                loss = self.activity_regularizer(output)
                if output.ndim > 0 and output.shape[0] > 0:
                    loss = loss / output.shape[0]
                self.add_loss(loss)
