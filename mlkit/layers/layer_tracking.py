"""How a layer finds its sublayers and weights: by looking at its attributes.

Nothing is registered by hand. Assigning a layer or a `Variable` as an
attribute (also inside a list, tuple or dict) is enough for `layer.weights`,
`layer.losses`, freezing and saving to find it:

    >>> from mlkit import layers
    >>> class Block(layers.Layer):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.parts = [layers.Dense(4), layers.Dense(2)]
    >>> [type(layer).__name__ for layer in Block()._layers]
    ['Dense', 'Dense']

Scanning the attributes on every training step would be slow, so each
answer is cached until `tracking.state_version` says the structure of some
layer changed. `Layer` gets these methods from `AttributeTracking`.
"""

from mlkit.layers.tracking import changes_structure, state_version, track
from mlkit.variable import Variable

# Attributes that hold bookkeeping, never sublayers or weights to discover
# (add_weight's own lists are read directly by _own_variables).
UNTRACKED_ATTRIBUTES = frozenset({
    "_inbound_nodes", "_outbound_nodes", "_auto_config", "_input_spec_cache",
    "_trainable_variables", "_non_trainable_variables", "_losses", "_checked_shapes",
    "_cached_trainable", "_structure_cache",
})


def _holds_state(value):
    """Whether `value` is, or holds (in lists, tuples, dicts), a layer or a `Variable`."""
    from mlkit.layers.layer import Layer

    if isinstance(value, (Layer, Variable)):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds_state(item) for item in value)


class AttributeTracking:
    """Sublayers and attribute weights of a layer, found once and cached (a mixin of `Layer`)."""

    def __setattr__(self, name, value):
        from mlkit.layers.layer import Layer

        if name not in UNTRACKED_ATTRIBUTES and changes_structure(value):
            if "_trainable_variables" not in self.__dict__ and _holds_state(value):
                # Keras refuses it too on some backends (PyTorch's modules): the base class is not set up.
                raise RuntimeError(
                    f"In layer {type(self).__name__!r}, a layer or weight was assigned to self.{name} "
                    "before super().__init__() ran. Call `super().__init__(**kwargs)` as the first "
                    f"statement of {type(self).__name__}.__init__, then create the sublayers."
                )
            if isinstance(value, Layer) and self.__dict__.get("built") and not self._building:
                self._refuse_new_state(f"a sublayer ({name} = {type(value).__name__}(...))")
            value = track(value)
            state_version[0] += 1
        object.__setattr__(self, name, value)

    def _refuse_new_state(self, what):
        raise ValueError(
            f"Layer {self.name!r} ({type(self).__name__}) tried to add {what} after it was built. "
            "You cannot add new elements of state (variables or sub-layers) to a layer that is "
            "already built: create them in __init__() or in build(), never in call() or later."
        )

    def _cached(self, key, compute):
        """`compute()`, remembered until the structure of any layer changes."""
        cache = self.__dict__.get("_structure_cache")
        if cache is None or cache[0] != state_version[0]:
            cache = (state_version[0], {})
            self.__dict__["_structure_cache"] = cache
        if key not in cache[1]:
            cache[1][key] = compute()
        return cache[1][key]

    def _tracked(self):
        """(sublayers, attribute variables) found among this layer's attributes."""
        return self._cached("tracked", self._scan_attributes)

    def _scan_attributes(self):
        from mlkit.layers.layer import Layer

        sublayers, variables, seen = [], [], set()

        def walk(value):
            if isinstance(value, Layer):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    sublayers.append(value)
            elif isinstance(value, Variable):
                if id(value) not in seen:
                    seen.add(id(value))
                    variables.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)

        for key, value in self.__dict__.items():
            if key not in UNTRACKED_ATTRIBUTES:
                walk(value)
        return sublayers, variables

    @property
    def _layers(self):
        """Direct sublayers, in the order they were assigned as attributes."""
        return self._tracked()[0]

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer (optionally) and its sublayers, depth first, each once."""
        key = ("flatten", include_self, recursive)
        return list(self._cached(key, lambda: self._collect_layers(include_self, recursive)))

    def _collect_layers(self, include_self, recursive):
        found, seen = [], set()
        stack = [self] if include_self else list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            found.append(layer)
            if recursive or layer is self:
                stack.extend(reversed(layer._layers))
        return found
