"""Nested structures: lists, tuples and dicts of leaves, walked in one order.

A model can take several inputs and return several outputs, so its data
often arrives as a structure such as `{"image": x, "extra": [a, b]}`.
These two helpers visit the leaves (anything that is not a list, tuple or
dict) in a fixed order: list and tuple items by position, dict values in
insertion order. Keras has the same helpers in `keras.tree`.

    >>> from mlkit.utils.tree import flatten, map_structure
    >>> flatten({"image": 1, "extra": [2, (3, 4)]})
    [1, 2, 3, 4]
    >>> map_structure(lambda leaf: leaf * 10, {"image": 1, "extra": [2, (3, 4)]})
    {'image': 10, 'extra': [20, (30, 40)]}
"""


def flatten(structure):
    """The leaves of a nested structure, as one flat list."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(function, structure):
    """The same structure with `function` applied to every leaf."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(function, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(function, item) for key, item in structure.items()}
    return function(structure)
