"""The `>>>` examples in the docstrings of ops and the building blocks run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "mlkit.ops", "mlkit.ops.tensor", "mlkit.ops.autodiff", "mlkit.ops.core", "mlkit.ops.math",
    "mlkit.ops.linalg", "mlkit.ops.array", "mlkit.ops.nn",
    "mlkit.random", "mlkit.random.random", "mlkit.random.seed_generator",
    "mlkit.initializers", "mlkit.initializers.initializers",
    "mlkit.regularizers", "mlkit.regularizers.regularizers",
    "mlkit.constraints", "mlkit.constraints.constraints",
    "mlkit.activations", "mlkit.activations.activations",
    "mlkit.backend", "mlkit.utils.lookup", "mlkit.utils.arguments",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"
