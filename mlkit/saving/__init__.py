"""`mlkit.saving`: configs, the custom-object registry, and model files."""

from mlkit.saving.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from mlkit.saving.model_file import load_model, load_weights, save_model, save_weights
from mlkit.saving.serialization import enable_unsafe_deserialization
