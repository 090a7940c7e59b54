"""The `>>>` examples in the docstrings of mlkit.grading run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "mlkit.grading", "mlkit.grading.failure", "mlkit.grading.formatting", "mlkit.grading.cell_history",
    "mlkit.grading.checks", "mlkit.grading.authoring", "mlkit.grading.progress", "mlkit.grading.by_products",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"
