"""The `>>>` examples in the docstrings of mlkit.saving run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "mlkit.saving.archive", "mlkit.saving.atomic_file", "mlkit.saving.config_check",
    "mlkit.saving.keras_compat", "mlkit.saving.keras_weights", "mlkit.saving.limits",
    "mlkit.saving.ordered_weights", "mlkit.saving.saveable_classes", "mlkit.saving.serialization",
    "mlkit.saving.weight_budget",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"
