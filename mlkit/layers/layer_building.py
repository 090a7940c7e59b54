"""What happens around a subclass's own `build()`: why `built` becomes True by itself.

A learner's `build(self, input_shape)` only creates weights. When a class
defines `build`, `Layer.__init_subclass__` wraps it with `wrap_build`, which
adds what Keras does around it:

- afterwards `layer.built` is True, also when `build` is called by hand;
- while it runs, `add_weight` and new sublayers are allowed (after it, not);
- weights get paths under the layer's name ("block/dense/kernel"), even for
  a sublayer built by hand inside an outer `build`.

    >>> from mlkit import layers
    >>> class Scale(layers.Layer):
    ...     def build(self, input_shape):
    ...         self.factor = self.add_weight(shape=(input_shape[-1],), name="factor")
    >>> scale = Scale(name="scale")
    >>> scale.build((None, 3))
    >>> scale.built, scale.factor.path
    (True, 'scale/factor')

The first call builds through `Layer._build_for` (see layer.py).
"""

import functools

from mlkit.layers.call_context import context


def wrap_build(build):
    """Wrap a subclass's build(): mark the layer built afterwards, as Keras does."""

    @functools.wraps(build)
    def wrapped(self, *args, **kwargs):
        self._check_super_init_called("build")
        was_building = self._building
        # A second build() of a built layer may not create state again (as in Keras).
        self._building = was_building or not self.built
        # Built by hand (`self.inner.build(shape)`), a layer still names its weights "outer/inner/...".
        opens_scope = not context.scope or context.scope[-1] is not self
        if opens_scope:
            context.scope.append(self)
        try:
            result = build(self, *args, **kwargs)
        finally:
            self._building = was_building
            if opens_scope:
                context.scope.pop()
        self.built = True
        return result

    wrapped._mlkit_build_wrapper = True
    return wrapped
