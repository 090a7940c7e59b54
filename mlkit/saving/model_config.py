"""Recreating layers and models from their configs, by class name only.

Classes are looked up among mlkit's own layers and models, then among the
objects you registered or pass in `custom_objects` — never imported by a
module path taken from the file.
"""

from mlkit.saving.serialization import deserialize_keras_object


def builtin_classes():
    """Every layer and model class mlkit ships, by class name."""
    import mlkit
    from mlkit import layers
    from mlkit.layers.layer import Layer
    from mlkit.models.functional import Functional
    from mlkit.models.input_layer import InputLayer
    from mlkit.models.operation_layer import OperationLayer

    found = {
        name: value
        for name, value in vars(layers).items()
        if isinstance(value, type) and issubclass(value, Layer)
    }
    found.update(
        {
            "Sequential": mlkit.Sequential,
            "Functional": Functional,
            "Model": Functional,
            "InputLayer": InputLayer,
            "OperationLayer": OperationLayer,
        }
    )
    return found


def deserialize_layer(config, custom_objects=None):
    """A layer or model from its serialized config."""
    return deserialize_keras_object(
        config, module_objects=builtin_classes(), custom_objects=custom_objects, printable_module_name="layer"
    )
