"""The `>>>` examples in the docstrings of mlkit.grading run and print what they say."""

import doctest
import importlib
import importlib.util
from pathlib import Path

import pytest

GRADING = Path(importlib.util.find_spec("mlkit.grading").origin).parent
# Every module of mlkit.grading that shows an example.
MODULES = sorted(("mlkit.grading" if path.stem == "__init__" else f"mlkit.grading.{path.stem}")
                 for path in GRADING.glob("*.py") if ">>> " in path.read_text())


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"
