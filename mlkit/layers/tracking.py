"""Noticing when a layer's structure changes, so it need not be re-scanned.

A layer finds its sublayers and weights by looking at its attributes (also
inside lists and dicts). Doing that on every training step would be slow,
so the answers are cached and `state_version` is bumped whenever something
that could change them happens: assigning a layer, variable, metric or
container as an attribute, appending to such a list, adding a weight,
freezing. Lists and dicts assigned to a layer are wrapped in the two classes
below, which behave exactly like `list` and `dict` but bump the version when
changed.

    >>> from mlkit.layers.tracking import TrackedList, state_version
    >>> blocks = TrackedList()
    >>> before = state_version[0]
    >>> blocks.append("a layer")
    >>> state_version[0] > before
    True
"""

# One global counter: any change anywhere invalidates every cache. Changes
# are rare (building, freezing); training steps only read.
state_version = [0]


def _bumping(method_name):
    def method(self, *args, **kwargs):
        state_version[0] += 1
        return getattr(super(type(self), self), method_name)(*args, **kwargs)

    method.__name__ = method_name
    return method


class TrackedList(list):
    """A list that bumps `state_version` whenever it changes."""


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
              "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(TrackedList, _name, _bumping(_name))


class TrackedDict(dict):
    """A dict that bumps `state_version` whenever it changes."""


for _name in ("__setitem__", "__delitem__", "pop", "popitem", "clear", "update", "setdefault"):
    setattr(TrackedDict, _name, _bumping(_name))


def track(value):
    """`value`, with a plain list or dict wrapped so its changes are noticed."""
    if type(value) is list:
        return TrackedList(value)
    if type(value) is dict:
        return TrackedDict(value)
    return value


def changes_structure(value):
    """Could assigning `value` as an attribute add sublayers, weights or metrics?"""
    from mlkit.layers.layer import Layer
    from mlkit.variable import Variable

    if isinstance(value, (Layer, Variable, list, tuple, dict)):
        return True
    return hasattr(value, "update_state") and hasattr(value, "result")  # a metric
