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
        self._accepts_training = "training" in inspect.signature(function).parameters

    def build(self, input_shape):
        pass

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._accepts_training and training is not None:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        return (input_shape[0],) + tuple(self._output_shape)

    def get_config(self):
        config = super().get_config()
        serialization.check_json(self.arguments, f"The `arguments` of Lambda {self.name!r}")
        config.update(
            {
                "function": _serialize_function(self.function, self.name),
                "arguments": self.arguments,
                "output_shape": None if callable(self._output_shape) else self._output_shape,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        config["function"] = _deserialize_function(config["function"], custom_objects, safe_mode)
        return super().from_config(config)


def _serialize_function(function, layer_name):
    if function.__name__ != "<lambda>":
        return {"class_name": "function", "config": function.__name__, "module": function.__module__}
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
            "with safe_mode=False (or call mlkit.config.enable_unsafe_deserialization())."
        )
    import mlkit
    from mlkit import ops

    code = marshal.loads(base64.b64decode(spec["config"]["code"]))
    namespace = {"ops": ops, "mlkit": mlkit, **(custom_objects or {})}
    defaults = spec["config"].get("defaults")
    return types.FunctionType(code, namespace, "<lambda>", tuple(defaults) if defaults else None)
