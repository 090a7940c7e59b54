"""get_config / from_config: Keras's base keys, automatic configs for
subclasses without get_config(), and the errors that point at the fix."""

import json

import numpy as np
import pytest

from mlkit import layers, saving


def policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


class Scaled(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_base_keys_like_keras():
    layer = Scaled(2.0, name="scaled", trainable=False, dtype="float64")
    assert layer.get_config() == {"name": "scaled", "trainable": False, "dtype": policy("float64"), "factor": 2.0}
    with_regularizer = Scaled(1.0, activity_regularizer="l2").get_config()
    assert with_regularizer["activity_regularizer"]["class_name"] == "L2"


def test_from_config_round_trip():
    layer = Scaled(3.0, name="triple", dtype="float64", activity_regularizer="l1")
    config = json.loads(json.dumps(layer.get_config()))
    clone = Scaled.from_config(config)
    assert clone.get_config() == layer.get_config()
    assert clone.dtype == "float64" and clone.activity_regularizer.l1 == pytest.approx(0.01)
    np.testing.assert_allclose(clone(np.ones((1, 2))).numpy(), [[3.0, 3.0]])


def test_forgetting_to_extend_get_config_names_the_missing_argument():
    class Forgot(layers.Layer):
        def __init__(self, factor, offset=0.0, **kwargs):
            super().__init__(**kwargs)
            self.factor, self.offset = factor, offset

        def get_config(self):
            return super().get_config()  # factor and offset are missing

    config = Forgot(2.0).get_config()
    with pytest.raises(TypeError) as info:
        Forgot.from_config(config)
    message = str(info.value)
    assert message.startswith("Error when deserializing class 'Forgot' using config=")
    assert "__init__() requires 'factor'" in message
    assert "add 'factor': self.factor to it" in message


def test_auto_config_records_arguments_with_defaults():
    class Auto(layers.Layer):
        def __init__(self, units, activation="relu", sizes=(1, 2), **kwargs):
            super().__init__(**kwargs)
            self.units, self.activation, self.sizes = units, activation, sizes

    layer = Auto(4, name="auto", trainable=False)
    assert layer.get_config() == {
        "name": "auto",
        "units": 4,
        "activation": "relu",
        "sizes": (1, 2),
        "trainable": False,
        "dtype": policy("float32"),
    }
    clone = Auto.from_config(layer.get_config())
    assert (clone.name, clone.units, clone.trainable) == ("auto", 4, False)


def test_auto_config_of_a_layer_without_its_own_init():
    class Bare(layers.Layer):
        def call(self, inputs):
            return inputs

    config = Bare(name="bare").get_config()
    assert config == {
        "name": "bare", "activity_regularizer": None, "trainable": True, "dtype": policy("float32"), "autocast": True,
    }
    assert Bare.from_config(config).name == "bare"


def test_auto_config_without_kwargs_drops_the_name_and_from_config_explains():
    class NoKwargs(layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

    config = NoKwargs(5).get_config()
    assert config == {"units": 5, "trainable": True, "dtype": policy("float32")}
    with pytest.raises(TypeError, match=r"(?s)unexpected keyword argument 'trainable'.*give __init__ a `\*\*kwargs`"):
        NoKwargs.from_config(config)


def test_auto_config_refuses_values_that_are_not_plain():
    class TakesFunction(layers.Layer):
        def __init__(self, function, **kwargs):
            super().__init__(**kwargs)
            self.function = function

    with pytest.raises(NotImplementedError, match=r"TakesFunction \('takes_function'\).*function=ufunc.*Override get_config\(\)"):
        TakesFunction(np.tanh, name="takes_function").get_config()

    class TakesArgs(layers.Layer):
        def __init__(self, *sizes):
            super().__init__()

    with pytest.raises(NotImplementedError, match=r"positional-only or variadic arguments \(\*sizes\)"):
        TakesArgs(1, 2).get_config()


def test_overridden_get_config_is_used_as_written():
    class Custom(layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def get_config(self):
            return {"name": self.name, "factor": self.factor}

    assert Custom(2, name="c").get_config() == {"name": "c", "factor": 2}


def test_from_config_accepts_a_dtype_dict_or_name():
    assert Scaled.from_config({"factor": 1.0, "dtype": policy("float64")}).dtype == "float64"
    assert Scaled.from_config({"factor": 1.0, "dtype": "float16"}).compute_dtype == "float16"


def test_from_config_wraps_constructor_errors():
    with pytest.raises(TypeError, match=r"(?s)Error when deserializing class 'Dense'.*invalid value for `units`.*units=-1"):
        layers.Dense.from_config({"units": -1})
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments passed to Scaled: \{'colour': 'red'\}"):
        Scaled.from_config({"factor": 1.0, "colour": "red"})


def test_config_values_that_are_not_json_name_the_layer_and_the_key():
    class Holds(layers.Layer):
        def __init__(self, table, **kwargs):
            super().__init__(**kwargs)
            self.table = table

        def get_config(self):
            return {**super().get_config(), "table": self.table}

    with pytest.raises(TypeError, match=r"The config of Holds 'holder' is not JSON-serializable: key 'table' holds a set.*get_config"):
        saving.serialize_keras_object(Holds({1, 2}, name="holder"))
    arrays = saving.serialize_keras_object(Holds(np.array([1.5, 2.5]), name="arrays"))
    assert arrays["config"]["table"] == {"class_name": "__numpy__", "config": {"value": [1.5, 2.5], "dtype": "float64"}}


def test_get_config_must_return_a_dict():
    class Broken(layers.Layer):
        def get_config(self):
            return ["units", 3]

    with pytest.raises(TypeError, match=r"The config of Broken 'broken' must be a dict.*returned list"):
        saving.serialize_keras_object(Broken(name="broken"))
