"""Reading configs Keras wrote: the settings Keras has and mlkit does not.

Keras 3 writes a few config keys for features mlkit leaves out (ragged
inputs, quantization, LoRA, batch renormalization, ...). When such a key
holds the value that means "feature off", it changes nothing and is dropped;
when it turns the feature on, loading is refused, naming the layer and the
setting, rather than silently computing something else.

    >>> from mlkit.saving.keras_compat import from_keras_config
    >>> from_keras_config({"class_name": "InputLayer",
    ...                    "config": {"batch_shape": [None, 3], "ragged": False}})["config"]
    {'batch_shape': [None, 3]}
"""

import inspect

from mlkit.saving.saveable_classes import saveable_classes

# key -> the values that leave the feature off (None: any value; only meaningful with another key).
_FEATURE_OFF = {
    "ragged": (False,),
    "optional": (False,),
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "synchronized": (False,),
    "renorm": (False,),
    "renorm_clipping": (None,),
    "renorm_momentum": None,
    "input_axes": (None,),
    "output_axes": (None,),
    "groups": (1,),
}


def from_keras_config(config):
    """`config` with Keras-only settings that are off removed (a new structure; the input is unchanged)."""
    known = saveable_classes()

    def convert(value):
        if isinstance(value, list):
            return [convert(item) for item in value]
        if not isinstance(value, dict):
            return value
        converted = {key: convert(item) for key, item in value.items()}
        cls = known.get(value.get("class_name")) if isinstance(value.get("class_name"), str) else None
        if cls is not None and isinstance(converted.get("config"), dict):
            converted["config"] = _drop_features_off(cls, converted["config"])
        return converted

    return convert(config)


def _drop_features_off(cls, config):
    accepted = _accepted_arguments(cls)
    kept = {}
    for key, value in config.items():
        if key in _FEATURE_OFF and key not in accepted:
            off = _FEATURE_OFF[key]
            if off is not None and value not in off:
                raise ValueError(
                    f"{cls.__name__} {config.get('name', '')!r} uses the Keras setting {key}={value!r}, "
                    f"which mlkit does not have (only {key}={off[0]!r} is supported). Save the model "
                    "without that feature to load it in mlkit."
                )
            continue
        kept[key] = value
    return kept


def _accepted_arguments(cls):
    """The keyword arguments `cls(...)` takes by name (a layer's base arguments included)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names.update(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names
