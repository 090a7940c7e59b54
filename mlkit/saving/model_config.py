"""Recreating layers and models from their configs, by class name only.

Classes are looked up among mlkit's own layers and models (those made to be
saved, see `saveable_classes`), then among the objects you registered or
pass in `custom_objects` — never imported by a module path taken from the file.
"""

from mlkit.saving.saveable_classes import saveable_classes
from mlkit.saving.serialization import deserialize_keras_object


def deserialize_layer(config, custom_objects=None):
    """A layer or model from its serialized config."""
    # A lookup among classes above saving: imported when a layer is loaded.
    from mlkit.layers.layer import Layer

    layer_classes = {name: cls for name, cls in saveable_classes().items() if issubclass(cls, Layer)}
    return deserialize_keras_object(
        config, module_objects=layer_classes, custom_objects=custom_objects, printable_module_name="layer"
    )
