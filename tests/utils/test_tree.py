"""mlkit.utils.tree: the nested-structure helpers, and their old home in models.keras_tensor."""

import doctest

from mlkit.models import keras_tensor
from mlkit.utils import tree


def test_docstring_examples():
    result = doctest.testmod(tree)
    assert result.attempted > 0 and result.failed == 0


def test_leaves_in_order_and_structure_kept():
    structure = {"b": [1, (2, 3)], "a": 4}
    assert tree.flatten(structure) == [1, 2, 3, 4]
    assert tree.map_structure(str, structure) == {"b": ["1", ("2", "3")], "a": "4"}
    assert tree.flatten(5) == [5]


def test_old_names_still_import_from_keras_tensor():
    assert keras_tensor.flatten is tree.flatten
    assert keras_tensor.map_structure is tree.map_structure
