"""`mlkit.dtype_policies`: which dtype a layer computes in and stores weights in.

A policy named 'float32' computes and stores in float32; 'mixed_float16'
stores weights in float32 (precise updates) but computes in float16.

    >>> from mlkit.dtype_policies import DTypePolicy
    >>> policy = DTypePolicy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')

`set_dtype_policy("mixed_float16")` changes the default for layers created
afterwards (Keras exposes it as `keras.config.set_dtype_policy`).
"""

from mlkit import backend


class DTypePolicy:
    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"DTypePolicy: 'name' must be a string such as 'float32' or 'mixed_float16'. "
                f"Received: name={name!r} (of type {type(name).__name__})."
            )
        self._compute, self._variable = _parse_name(name)
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

    @property
    def quantization_mode(self):
        """Always None: mlkit has no quantized policies."""
        return None

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


def _parse_name(name):
    """(compute dtype, variable dtype) for a policy name."""
    if name == "mixed_float16":
        return "float16", "float32"
    if name == "mixed_bfloat16":
        raise ValueError(
            "DTypePolicy 'mixed_bfloat16' is not available: NumPy has no bfloat16. "
            "Use 'mixed_float16' instead."
        )
    from mlkit.ops.core import standardize_dtype

    try:
        dtype = standardize_dtype(name)
    except ValueError:
        dtype = None
    if dtype is None or name.startswith("mixed_"):
        raise ValueError(
            f"Cannot convert {name!r} to a DTypePolicy. Valid policies are 'mixed_float16' "
            "and the name of a dtype such as 'float32' or 'float64'."
        )
    return dtype, dtype


_global = {"policy": None}


def set_dtype_policy(policy):
    """Make `policy` (a name or a DTypePolicy) the default of layers created from now on."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(
            "set_dtype_policy expects the name of a policy (such as 'mixed_float16') or a "
            f"DTypePolicy. Received: policy={policy!r} (of type {type(policy).__name__})."
        )
    _global["policy"] = policy


def dtype_policy():
    """The default policy of new layers: float32 (floatx) unless set_dtype_policy changed it."""
    policy = _global["policy"]
    if policy is None:
        return DTypePolicy(backend.floatx())
    return policy


def get(identifier):
    """A policy from None (the default), a name, a policy or its serialized config."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    from mlkit.ops.core import standardize_dtype

    try:
        return DTypePolicy(standardize_dtype(identifier))
    except (TypeError, ValueError):
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string such as 'float32' or a "
            f"DTypePolicy. Received: dtype={identifier!r}."
        ) from None


def serialize(policy):
    """A policy as a config dict, the form layer configs store it in (as in Keras)."""
    from mlkit.saving.serialization import serialize_keras_object

    return serialize_keras_object(policy)


def deserialize(config, custom_objects=None):
    """The policy a dict from `serialize` (or a bare {'name': ...}) describes."""
    if "class_name" not in config:
        return DTypePolicy(**config)
    from mlkit.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(
        config, module_objects={"DTypePolicy": DTypePolicy}, custom_objects=custom_objects
    )
