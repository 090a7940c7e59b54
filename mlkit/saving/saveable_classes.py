"""The classes a saved file may name: those made to be saved, and no others.

A config names classes by `class_name`. Loading looks them up here — the
public layers, models, initializers, regularizers, constraints, losses,
metrics, optimizers, learning-rate schedules and dtype policies — and among
the classes you registered or pass in `custom_objects`. A class elsewhere in
mlkit (a callback that opens files, say) is never built from a file.

Files also carry each class's module as Keras writes it (`"keras.layers"`,
`"keras.initializers"`, ...), so that Keras finds mlkit's classes in them.

    >>> from mlkit.saving.saveable_classes import saveable_classes, keras_module
    >>> saveable_classes()["Dense"].__name__
    'Dense'
    >>> "CSVLogger" in saveable_classes()
    False
    >>> keras_module(saveable_classes()["GlorotUniform"])
    'keras.initializers'
"""

import functools

# mlkit's package → the public Keras module its classes are saved under.
_KERAS_MODULES = {
    "layers": "keras.layers",
    "initializers": "keras.initializers",
    "regularizers": "keras.regularizers",
    "constraints": "keras.constraints",
    "losses": "keras.losses",
    "metrics": "keras.metrics",
    "optimizers": "keras.optimizers",
    "dtype_policies": "keras",
}
_MODEL_MODULES = {
    "Sequential": "keras",
    "Functional": "keras.src.models.functional",
    "Model": "keras",
    "InputLayer": "keras.layers",
}


@functools.cache
def saveable_classes():
    """Every built-in class a file may name, by class name."""
    # The registry lookup that needs every family above saving, so it imports
    # them on first use (and caches the answer) rather than at import time.
    import mlkit
    from mlkit import constraints, dtype_policies, initializers, layers, losses, metrics, optimizers, regularizers
    from mlkit.models.functional import Functional
    from mlkit.models.operation_layer import OperationLayer
    from mlkit.optimizers import schedules

    families = [
        (layers, layers.Layer),
        (initializers, initializers.Initializer),
        (regularizers, regularizers.Regularizer),
        (constraints, constraints.Constraint),
        (losses, losses.Loss),
        (metrics, metrics.Metric),
        (optimizers, optimizers.Optimizer),
        (schedules, schedules.LearningRateSchedule),
    ]
    found = {}
    for module, base in families:
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, base) and not name.startswith("_"):
                found[name] = value
    found.update(
        {
            "DTypePolicy": dtype_policies.DTypePolicy,
            "Sequential": mlkit.Sequential,
            "Functional": Functional,
            "Model": Functional,
            "OperationLayer": OperationLayer,
        }
    )
    return found


def keras_module(cls):
    """The module Keras writes in a config for the built-in class `cls`."""
    if cls.__name__ in _MODEL_MODULES and cls.__module__.startswith("mlkit.models"):
        return _MODEL_MODULES[cls.__name__]
    parts = cls.__module__.split(".")
    if parts[1:3] == ["optimizers", "schedules"]:
        return "keras.optimizers.schedules"
    return _KERAS_MODULES.get(parts[1] if len(parts) > 1 else "", "keras")


def keras_registered_name(cls):
    """The `registered_name` Keras writes for the built-in class `cls` (None for most)."""
    return "Functional" if cls.__name__ == "Functional" and cls.__module__.startswith("mlkit.models") else None


def is_builtin(cls):
    return cls.__module__ == "mlkit" or cls.__module__.startswith("mlkit.")
