"""mlkit.saving.object_registration: the registry, stdlib only, reachable from its old public places."""

import ast
import doctest
from pathlib import Path

import mlkit
from mlkit import saving
from mlkit.saving import object_registration, serialization


def test_docstring_examples():
    result = doctest.testmod(object_registration)
    assert result.attempted > 0 and result.failed == 0


def test_imports_only_the_standard_library():
    source = Path(object_registration.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"types"}


def test_public_names_are_the_same_objects_everywhere():
    for name in ("register_keras_serializable", "get_custom_objects", "get_registered_name",
                 "get_registered_object", "custom_object_scope", "CustomObjectScope"):
        assert getattr(saving, name) is getattr(object_registration, name)
        assert getattr(serialization, name) is getattr(object_registration, name)
    assert mlkit.saving.serialize_keras_object is serialization.serialize_keras_object
    assert mlkit.saving.deserialize_keras_object is serialization.deserialize_keras_object
