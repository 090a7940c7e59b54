"""A layer's weight collections and its `trainable` flag (freezing).

`layer.weights` lists this layer's own weights (trainable ones first, as in
Keras), then each sublayer's. Setting `layer.trainable = False` freezes the
layer and all its sublayers: their weights move from `trainable_weights` to
`non_trainable_weights`, so an optimizer leaves them alone.

    >>> from mlkit import layers
    >>> dense = layers.Dense(2)
    >>> dense.build((None, 3))
    >>> len(dense.trainable_weights)
    2
    >>> dense.trainable = False
    >>> len(dense.trainable_weights), len(dense.non_trainable_weights)
    (0, 2)

`Layer` gets these from `WeightCollections`; the weights themselves come
from `add_weight` (see layer.py) and from attributes (see layer_tracking.py).
"""

import numpy as np

from mlkit.layers.tracking import state_version


class WeightCollections:
    """`weights`, `trainable_weights`, ..., `trainable` and `count_params` (a mixin of `Layer`)."""

    def _own_variables(self):
        """This layer's variables: trainable ones first, then the others (as in Keras).

        Besides those from add_weight, a Variable assigned as an attribute (also
        inside a list or dict) counts; it is filed as trainable or not by its
        flag when a layer first tracks it, so freezing can later restore it.
        """
        return list(self._cached("own_variables", self._collect_own_variables))

    def _collect_own_variables(self):
        trainable = list(self._trainable_variables)
        non_trainable = list(self._non_trainable_variables)
        known = {id(v) for v in trainable} | {id(v) for v in non_trainable}
        for variable in self._tracked()[1]:
            if id(variable) not in known:
                if variable._tracked_trainable is None:
                    variable._tracked_trainable = variable.trainable
                (trainable if variable._tracked_trainable else non_trainable).append(variable)
                known.add(id(variable))
        return trainable + non_trainable

    @property
    def weights(self):
        """All weights: this layer's own (trainable first), then each sublayer's."""
        return list(self._cached("weights", self._collect_weights))

    def _collect_weights(self):
        found, seen = [], set()
        for layer in self._flatten_layers():
            for variable in layer._own_variables():
                if id(variable) not in seen:
                    seen.add(id(variable))
                    found.append(variable)
        return found

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freeze (False) or unfreeze (True) this layer and every sublayer."""
        value = bool(value)
        self._trainable = value
        state_version[0] += 1
        for variable in self._own_variables():
            if variable._tracked_trainable:
                variable.trainable = value
        for layer in self._layers:
            layer.trainable = value

    def count_params(self):
        """The number of scalar values in all weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer {self.name!r}, but the layer isn't "
                "built. Call it on data first, or build it with `layer.build(input_shape)`."
            )
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))
