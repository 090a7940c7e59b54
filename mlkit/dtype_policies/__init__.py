"""`mlkit.dtype_policies`: which dtype a layer computes in and stores weights in.

A policy named 'float32' computes and stores in float32; 'mixed_float16'
stores weights in float32 (precise updates) but computes in float16.

    >>> from mlkit.dtype_policies import DTypePolicy
    >>> policy = DTypePolicy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')
"""

from mlkit import backend


class DTypePolicy:
    def __init__(self, name=None):
        name = name or backend.floatx()
        if name.startswith("mixed_"):
            compute = name[len("mixed_"):]
            if compute not in ("float16", "bfloat16"):
                raise ValueError(
                    f"DTypePolicy: unknown mixed policy {name!r}; use 'mixed_float16' or 'mixed_bfloat16'."
                )
            if compute == "bfloat16":
                raise ValueError("DTypePolicy: NumPy has no bfloat16; use 'mixed_float16' instead.")
            self._compute, self._variable = compute, "float32"
        else:
            from mlkit.ops.core import standardize_dtype

            self._compute = self._variable = standardize_dtype(name)
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute

    @property
    def variable_dtype(self):
        return self._variable

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


def get(identifier):
    """A policy from None (the default), a dtype name, a policy or its config."""
    if identifier is None:
        return DTypePolicy(backend.floatx())
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy(**identifier.get("config", identifier))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    from mlkit.ops.core import standardize_dtype

    return DTypePolicy(standardize_dtype(identifier))


def serialize(policy):
    return policy.name
