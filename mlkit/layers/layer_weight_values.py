"""Reading and writing a layer's weight values as NumPy arrays.

`get_weights()` returns copies in the order of `layer.weights`;
`set_weights(arrays)` takes them back in that order. This is how weights
travel between two layers of the same shape:

    >>> import numpy as np
    >>> from mlkit import layers
    >>> first, second = layers.Dense(2), layers.Dense(2)
    >>> _ = first(np.ones((1, 3))), second(np.ones((1, 3)))
    >>> second.set_weights(first.get_weights())
    >>> np.array_equal(first.get_weights()[0], second.get_weights()[0])
    True

`Layer` gets these from `WeightValues`. Model files (`.keras`,
`.weights.h5`) are written and read in `mlkit.saving`.
"""

import numpy as np


class WeightValues:
    """`get_weights` and `set_weights` (a mixin of `Layer`)."""

    def get_weights(self):
        """The weights' values as a list of NumPy arrays (copies)."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Set every weight from a list of arrays, in the order of `weights`.

        All shapes are checked before anything is assigned, so a mistake leaves
        the layer unchanged.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"You called set_weights(weights) on layer {self.name!r} with a weight list of "
                f"length {len(weights)}, but the layer was expecting {len(own)} weights "
                f"({', '.join(v.path for v in own) or 'none: is it built?'})."
            )
        values = []
        for variable, value in zip(own, weights):
            value = np.asarray(getattr(value, "data", value))
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {variable.path!r} has shape {variable.shape}, "
                    f"but set_weights received an array of shape {value.shape}. Pass the arrays "
                    "in the order of layer.weights with matching shapes."
                )
            values.append(value)
        for variable, value in zip(own, values):
            variable.assign(value)
