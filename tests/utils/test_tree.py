"""mlkit.utils.tree: the nested-structure helpers."""

import doctest

from mlkit.utils import tree


def test_docstring_examples():
    result = doctest.testmod(tree)
    assert result.attempted > 0 and result.failed == 0


def test_leaves_in_order_and_structure_kept():
    structure = {"b": [1, (2, 3)], "a": 4}
    assert tree.flatten(structure) == [1, 2, 3, 4]
    assert tree.map_structure(str, structure) == {"b": ["1", ("2", "3")], "a": "4"}
    assert tree.flatten(5) == [5]

