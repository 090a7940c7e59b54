"""The one `get(identifier)` behind initializers.get, regularizers.get & co.

Each of those modules accepts None, a string name, a config dict or an
object/callable; this resolves all four the same way and, for an unknown
name, lists the names that would have worked. A config dict goes to the
family's own `deserialize`, which each family passes in, so this helper
needs nothing from `mlkit.saving`.

    >>> from mlkit import initializers
    >>> type(initializers.get("he_normal")).__name__
    'HeNormal'
"""


def resolve(identifier, kind, by_name, deserialize, instantiate=True):
    """Resolve `identifier` to an object of `kind` ('initializer', ...).

    `by_name` maps every accepted string (snake_case names, class names,
    aliases) to a class or function; a class found by name is instantiated
    with its defaults. `deserialize(config)` builds the object a config dict
    describes.
    """
    if identifier is None:
        return None
    article = "an" if kind[:1] in "aeiou" else "a"
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in by_name:
            raise ValueError(
                f"Unknown {kind} {identifier!r}. Use one of: {', '.join(known_names(by_name))}; "
                f"or pass {article} {kind} object."
            )
        found = by_name[identifier]
        return found() if instantiate and isinstance(found, type) else found
    if callable(identifier):
        return identifier() if instantiate and isinstance(identifier, type) else identifier
    raise ValueError(
        f"Could not interpret {kind} identifier {identifier!r} of type {type(identifier).__name__}; "
        f"pass a string name such as {known_names(by_name)[0]!r}, a config dict or {article} {kind} object."
    )


def known_names(by_name):
    """The snake_case names in `by_name`, sorted (class names are accepted but not listed)."""
    return sorted(name for name in by_name if name[:1].islower())
