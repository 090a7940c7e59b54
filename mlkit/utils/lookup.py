"""The one `get(identifier)` behind initializers.get, activations.get & co.

Each of those modules accepts None, a string name, a config dict or an
object/callable; this resolves all four the same way and, for an unknown
name, lists the names that would have worked.
"""

from mlkit.saving.serialization import deserialize_keras_object


def resolve(identifier, kind, by_name, module_objects, instantiate=True):
    """Resolve `identifier` to an object of `kind` ('initializer', ...)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize_keras_object(identifier, module_objects=module_objects, printable_module_name=kind)
    if isinstance(identifier, str):
        if identifier not in by_name:
            known = ", ".join(sorted(by_name))
            raise ValueError(
                f"Unknown {kind} {identifier!r}. Use one of: {known}; or pass a {kind} object."
            )
        found = by_name[identifier]
        return found() if instantiate and isinstance(found, type) else found
    if callable(identifier):
        return identifier() if instantiate and isinstance(identifier, type) else identifier
    raise ValueError(
        f"Could not interpret {kind} identifier {identifier!r} of type {type(identifier).__name__}; "
        f"pass a string name, a config dict or a {kind} object."
    )
