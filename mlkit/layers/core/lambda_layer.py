"""`Lambda`: wrap a plain function as a layer, e.g. `Lambda(lambda x: x * 2)`.

Handy for quick experiments. Saving one is fragile: a named function is saved
by name (pass it in `custom_objects` when loading); a `lambda` is saved as
Python bytecode, which can run arbitrary code, so loading it is refused
unless you trust the file and pass `safe_mode=False`.

    >>> from mlkit import layers, ops
    >>> double = layers.Lambda(lambda x: x * 2)
    >>> double(ops.ones((1, 2))).numpy().tolist()
    [[2.0, 2.0]]
"""

import base64
import inspect
import marshal
import types

from mlkit.layers.layer import Layer
from mlkit.saving import serialization


class Lambda(Layer):
    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Lambda {self.name!r}: `function` must be callable, got {type(function).__name__}. "
                "Pass e.g. `lambda x: x * 2`."
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        parameters = inspect.signature(function).parameters
        self._accepts_training = "training" in parameters
        self._accepts_mask = "mask" in parameters

    def build(self, input_shape):
        pass

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._accepts_mask:
            kwargs["mask"] = mask
        if self._accepts_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        """Base keys, 'function', 'output_shape' and 'mask' (only when set) and 'arguments'."""
        config = super().get_config()
        config["function"] = _serialize_function(self.function, self.name)
        if self._output_shape is not None:
            if callable(self._output_shape):
                config["output_shape"] = _serialize_function(self._output_shape, self.name)
            else:
                config["output_shape"] = self._output_shape
        if self.mask is not None:
            if callable(self.mask):
                config["mask"] = _serialize_function(self.mask, self.name)
            else:
                config["mask"] = serialization.serialize_keras_object(self.mask)
        where = f"The `arguments` of Lambda {self.name!r}"
        try:
            arguments = serialization.serialize_keras_object(self.arguments)
        except TypeError as error:
            raise TypeError(f"{where} cannot be saved: {error}") from None
        serialization.check_json(arguments, where)
        config["arguments"] = arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild a Lambda; a Python lambda is loaded only if safe mode is off.

        Named functions are looked up (custom_objects, registered objects,
        activations, ops); a lambda's stored bytecode could run arbitrary code,
        so it is refused unless `safe_mode=False` (or unsafe deserialization
        was enabled), as in Keras.
        """
        config = dict(config)
        config["function"] = _deserialize_function(config["function"], custom_objects, safe_mode)
        for key in ("output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, dict) and value.get("class_name") in ("function", "__lambda__"):
                config[key] = _deserialize_function(value, custom_objects, safe_mode)
            elif key == "output_shape" and isinstance(value, list):
                config[key] = tuple(value)
            elif key == "mask" and isinstance(value, dict):
                config[key] = serialization.deserialize_keras_object(value, custom_objects=custom_objects)
        if isinstance(config.get("arguments"), dict):
            config["arguments"] = {
                key: serialization.deserialize_keras_object(value, custom_objects=custom_objects)
                for key, value in config["arguments"].items()
            }
        return super().from_config(config)


def _serialize_function(function, layer_name):
    if function.__name__ != "<lambda>":
        return {
            "module": function.__module__,
            "class_name": "function",
            "config": function.__name__,
            "registered_name": serialization.get_registered_name(function),
        }
    if function.__closure__:
        raise ValueError(
            f"Lambda {layer_name!r} uses a lambda that refers to variables of the code around it "
            "(a closure), which cannot be saved. Pass those values through `arguments={...}` "
            "or use a named function."
        )
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": function.__defaults__}}


def _deserialize_function(spec, custom_objects, safe_mode):
    if spec.get("class_name") == "function":
        name = spec["config"]
        found = serialization.get_registered_object(spec.get("registered_name") or name, custom_objects)
        if found is None:
            found = serialization.get_registered_object(name, custom_objects)
        if found is None:
            from mlkit import activations, ops

            found = activations.ALL.get(name) or getattr(ops, name, None)
        if found is None:
            raise ValueError(
                f"Cannot load the Lambda function {name!r} (defined in {spec.get('module')}): "
                f"pass it when loading, e.g. custom_objects={{{name!r}: {name}}}."
            )
        return found
    if serialization.in_safe_mode(safe_mode):
        raise ValueError(
            "Refusing to load a Lambda layer whose function is a Python lambda: it is stored as "
            "bytecode, and loading it could run arbitrary code. If you trust this file, load it "
            "with safe_mode=False (or call mlkit.saving.enable_unsafe_deserialization())."
        )
    import numpy as np

    import mlkit
    from mlkit import ops

    code = marshal.loads(base64.b64decode(spec["config"]["code"]))
    namespace = {"ops": ops, "mlkit": mlkit, "np": np, **(custom_objects or {})}
    defaults = spec["config"].get("defaults")
    return types.FunctionType(code, namespace, "<lambda>", tuple(defaults) if defaults else None)
