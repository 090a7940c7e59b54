"""Notebook 03 (configuration and saving): the hidden tests catch the plausible wrong answers.

Each case hands one exercise a typical mistake (graded in this process with
`grade_in_process`, the instructor's solutions standing in for the other
exercises) and states which test cells fail and a phrase of the message the
learner reads. Correct variants, written differently from the solution, must
pass every cell.
"""

from pathlib import Path

import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "solutions" / "03_config_and_saving" / "config_and_saving.ipynb"

# A config that holds the initializer object itself hands that same object to the
# rebuilt layer, which calls it a second time: mlkit rightly warns, for that mistake.
pytestmark = pytest.mark.filterwarnings("ignore:The initializer .* is unseeded")

# -- Exercise 1: ScaledDense.get_config -------------------------------------------
SCALED_DENSE = '''
class ScaledDense(layers.Layer):
    def __init__(self, units, activation=None, scale=1.0, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.scale = scale
        self.kernel_initializer = initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(self.scale * (ops.matmul(inputs, self.kernel) + self.bias))

    def get_config(self):
'''


def get_config(body):
    return SCALED_DENSE + body


FULL_UPDATE = ('        config.update({"units": self.units, "activation": activations.serialize(self.activation),\n'
               '                       "scale": self.scale, "kernel_initializer": initializers.serialize(self.kernel_initializer)})\n')
EX1 = {"ex1_test_config", "ex1_test_round_trip"}

# -- Exercise 2: TemperatureSoftmax.from_config -------------------------------------
TEMPERATURE = '''
class TemperatureSoftmax(layers.Layer):
    def __init__(self, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature

    def call(self, inputs):
        return ops.softmax(inputs / self.temperature, axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}

    @classmethod
    def from_config(cls, config):
'''


def from_config(body):
    return TEMPERATURE + body


EX2 = {"ex2_test_new_configs", "ex2_test_old_configs"}

# -- Exercise 3: Standardize ---------------------------------------------------------
STANDARDIZE = {
    "head": "class Standardize(layers.Layer):\n",
    "init": ("    def __init__(self, epsilon=1e-3, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.epsilon = epsilon\n"),
    "build": ("    def build(self, input_shape):\n"
              "        self.mean = self.add_weight(shape=(input_shape[-1],), initializer='zeros', trainable=False, name='mean')\n"
              "        self.variance = self.add_weight(shape=(input_shape[-1],), initializer='ones', trainable=False, name='variance')\n"),
    "adapt": ("    def adapt(self, data):\n"
              "        data = np.asarray(data, dtype='float32')\n"
              "        if not self.built:\n"
              "            self.build(data.shape)\n"
              "        self.mean.assign(data.mean(axis=0))\n"
              "        self.variance.assign(data.var(axis=0))\n"),
    "call": ("    def call(self, inputs):\n"
             "        return (inputs - self.mean) / ops.sqrt(self.variance + self.epsilon)\n"),
    "register": "\nsaving.register_keras_serializable(package='course')(Standardize)\n",
}


def standardize(**replaced):
    parts = {**STANDARDIZE, **replaced}
    return parts.pop("head") + "\n".join(part for key, part in parts.items() if key != "register") + parts["register"]


EX3 = {"ex3_test_state", "ex3_test_saving"}

CASES = {
    # -- ScaledDense.get_config ---------------------------------------------------
    "an argument left out": ({"ex1_get_config": get_config(
        "        config = super().get_config()\n"
        "        config.update({'units': self.units, 'activation': activations.serialize(self.activation), 'scale': self.scale})\n"
        "        return config\n")},
        EX1, "ex1_test_config", "add 'kernel_initializer' to the config"),
    "parent's config not used": ({"ex1_get_config": get_config(
        "        return {'units': self.units, 'activation': activations.serialize(self.activation), 'scale': self.scale,\n"
        "                'kernel_initializer': initializers.serialize(self.kernel_initializer)}\n")},
        EX1, None, "config = super().get_config()"),
    "the activation function stored as is": ({"ex1_get_config": get_config(
        "        config = super().get_config()\n" + FULL_UPDATE.replace("activations.serialize(self.activation)", "self.activation")
        + "        return config\n")},
        {"ex1_test_config"}, "activations.serialize"),
    "the initializer object stored as is": ({"ex1_get_config": get_config(
        "        config = super().get_config()\n"
        + FULL_UPDATE.replace("initializers.serialize(self.kernel_initializer)", "self.kernel_initializer")
        + "        return config\n")},
        {"ex1_test_config"}, "plain values"),
    "config not returned": ({"ex1_get_config": get_config("        config = super().get_config()\n" + FULL_UPDATE)},
        EX1, "ex1_test_config", "return config"),
    "an argument stored under another key": ({"ex1_get_config": get_config(
        "        config = super().get_config()\n" + FULL_UPDATE.replace('"scale": self.scale', '"factor": self.scale')
        + "        return config\n")},
        EX1, "ex1_test_config", "add 'scale' to the config"),
    "get_config not started": ({"ex1_get_config": get_config("        raise NotImplementedError()\n")},
        EX1, None, "Not done yet: `ScaledDense.get_config` still raises NotImplementedError"),
    # -- TemperatureSoftmax.from_config -------------------------------------------
    "old key passed on as is": ({"ex2_from_config": from_config("        return cls(**config)\n")},
        {"ex2_test_old_configs"}, "inverse_temperature"),
    "value copied, not inverted": ({"ex2_from_config": from_config(
        "        config = dict(config)\n"
        "        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = config.pop('inverse_temperature')\n"
        "        return cls(**config)\n")},
        {"ex2_test_old_configs"}, "copied, not inverted"),
    "the caller's dict changed": ({"ex2_from_config": from_config(
        "        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = 1.0 / config.pop('inverse_temperature')\n"
        "        return cls(**config)\n")},
        {"ex2_test_old_configs"}, "work on a copy"),
    "the class name instead of cls": ({"ex2_from_config": from_config(
        "        config = dict(config)\n"
        "        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = 1.0 / config.pop('inverse_temperature')\n"
        "        return TemperatureSoftmax(**config)\n")},
        {"ex2_test_new_configs"}, "not TemperatureSoftmax(**config)"),
    "only the temperature kept": ({"ex2_from_config": from_config(
        "        if 'inverse_temperature' in config:\n"
        "            return cls(temperature=1.0 / config['inverse_temperature'])\n"
        "        return cls(temperature=config['temperature'])\n")},
        EX2, None, "keep every other key of the config"),
    "from_config returns nothing": ({"ex2_from_config": from_config(
        "        config = dict(config)\n"
        "        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = 1.0 / config.pop('inverse_temperature')\n"
        "        layer = cls(**config)\n")},
        EX2, None, "return cls(**config)"),
    "from_config not started": ({"ex2_from_config": from_config("        raise NotImplementedError()\n")},
        EX2, None, "Not done yet: `TemperatureSoftmax.from_config` still raises NotImplementedError"),
    # -- Standardize ----------------------------------------------------------------
    "statistics kept in NumPy attributes": ({"ex3_standardize": standardize(
        build="    def build(self, input_shape):\n        pass\n",
        adapt=("    def adapt(self, data):\n"
               "        data = np.asarray(data, dtype='float32')\n"
               "        self.mean = data.mean(axis=0)\n"
               "        self.variance = data.var(axis=0)\n"),
        init=STANDARDIZE["init"] + "        self.mean, self.variance = np.zeros(1, 'float32'), np.ones(1, 'float32')\n")},
        EX3, "ex3_test_state", "a NumPy array is not a weight"),
    "statistics trainable": ({"ex3_standardize": standardize(build=STANDARDIZE["build"].replace("trainable=False, ", ""))},
        {"ex3_test_state"}, "pass trainable=False"),
    "class not registered": ({"ex3_standardize": standardize(register="")},
        {"ex3_test_saving"}, "register it with @saving.register_keras_serializable"),
    "weights created in adapt": ({"ex3_standardize": standardize(
        build="",
        adapt=("    def adapt(self, data):\n"
               "        data = np.asarray(data, dtype='float32')\n"
               "        self.mean = self.add_weight(shape=(data.shape[-1],), initializer='zeros', trainable=False, name='mean')\n"
               "        self.variance = self.add_weight(shape=(data.shape[-1],), initializer='ones', trainable=False, name='variance')\n"
               "        self.mean.assign(data.mean(axis=0))\n"
               "        self.variance.assign(data.var(axis=0))\n"))},
        EX3, "ex3_test_saving", "create it in __init__ or build"),
    "build called at every adapt": ({"ex3_standardize": standardize(adapt=STANDARDIZE["adapt"].replace(
        "        if not self.built:\n            self.build(data.shape)\n", "        self.build(data.shape)\n"))},
        {"ex3_test_state"}, "build() ran a second time from adapt()"),
    "standard deviation instead of variance": ({"ex3_standardize": standardize(adapt=STANDARDIZE["adapt"].replace(
        "data.var(axis=0)", "data.std(axis=0)"))},
        {"ex3_test_state"}, "this is the standard deviation"),
    "epsilon forgotten": ({"ex3_standardize": standardize(call=(
        "    def call(self, inputs):\n        return (inputs - self.mean) / ops.sqrt(self.variance)\n"))},
        {"ex3_test_state"}, "epsilon is missing"),
    "Standardize does not pass kwargs on": ({"ex3_standardize": standardize(init=(
        "    def __init__(self, epsilon=1e-3):\n        super().__init__()\n        self.epsilon = epsilon\n"))},
        {"ex3_test_saving"}, "give it a **kwargs parameter"),
    "a NumPy float32 in the config": ({"ex1_get_config": get_config(
        "        config = super().get_config()\n" + FULL_UPDATE.replace('"scale": self.scale', '"scale": np.float32(self.scale)')
        + "        return config\n")},
        {"ex1_test_config"}, "Got:      a float32"),
    "floor division for the temperature": ({"ex2_from_config": from_config(
        "        config = dict(config)\n        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = 1 // config.pop('inverse_temperature')\n        return cls(**config)\n")},
        {"ex2_test_old_configs"}, "this is floor division"),
    "the temperature a NumPy float32": ({"ex2_from_config": from_config(
        "        config = dict(config)\n        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = np.float32(1.0) / config.pop('inverse_temperature')\n        return cls(**config)\n")},
        {"ex2_test_old_configs"}, "store a plain Python number"),
    "the temperature a tensor": ({"ex2_from_config": from_config(
        "        config = dict(config)\n        if 'inverse_temperature' in config:\n"
        "            config['temperature'] = ops.divide(1.0, config.pop('inverse_temperature'))\n        return cls(**config)\n")},
        {"ex2_test_old_configs"}, "store a plain Python number"),
    "registered under the default package": ({"ex3_standardize": standardize(
        register="\nsaving.register_keras_serializable()(Standardize)\n")},
        {"ex3_test_saving"}, "registered under the default package 'Custom'"),
    "registered under another package": ({"ex3_standardize": standardize(
        register="\nsaving.register_keras_serializable(package='my_course')(Standardize)\n")},
        {"ex3_test_saving"}, "register_keras_serializable(package='course')"),
    "variance starts at zero": ({"ex3_standardize": standardize(build=STANDARDIZE["build"].replace(
        "initializer='ones'", "initializer='zeros'"))},
        {"ex3_test_state"}, "variance starts from another initializer"),
    "another default for epsilon": ({"ex3_standardize": standardize(init=STANDARDIZE["init"].replace("1e-3", "1e-5"))},
        {"ex3_test_state", "ex3_test_saving"}, "ex3_test_state", "its default is not 1e-3"),
    "Standardize computed through NumPy": ({"ex3_standardize": standardize(call=(
        "    def call(self, inputs):\n        x = ops.convert_to_numpy(inputs)\n"
        "        return ops.convert_to_tensor((x - self.mean.numpy()) / np.sqrt(self.variance.numpy() + self.epsilon))\n"))},
        {"ex3_test_state"}, "compute with ops"),
    "Standardize not started": ({"ex3_standardize": standardize(init=(
        "    def __init__(self, epsilon=1e-3, **kwargs):\n        raise NotImplementedError()\n"))},
        EX3, None, "Not done yet: `Standardize.__init__` still raises NotImplementedError"),
}

CORRECT_VARIANTS = {
    "get_config: the activation by its __name__, the scale as float": {"ex1_get_config": get_config(
        "        config = super().get_config()\n" + FULL_UPDATE.replace(
            "activations.serialize(self.activation)", "self.activation.__name__").replace('"scale": self.scale', '"scale": float(self.scale)')
        + "        return config\n")},
    "from_config: a NumPy float64 from a division (a float)": {"ex2_from_config": from_config(
        "        config = {**config}\n        inverse = config.pop('inverse_temperature', None)\n"
        "        if inverse is not None:\n            config['temperature'] = np.float64(1.0) / inverse\n"
        "        return cls(**config)\n")},
    "Standardize: registered with an explicit name, epsilon stored before super().__init__": {"ex3_standardize": standardize(
        init=("    def __init__(self, epsilon=1e-3, **kwargs):\n"
              "        self.epsilon = epsilon\n"
              "        super().__init__(**kwargs)\n"),
        register="\nsaving.register_keras_serializable(package='course', name='Standardize')(Standardize)\n")},
    "get_config: one dict, activation by its name": {"ex1_get_config": get_config(
        "        return {**super().get_config(), 'units': self.units, 'activation': self.activation.__name__,\n"
        "                'scale': self.scale, 'kernel_initializer': initializers.serialize(self.kernel_initializer)}\n")},
    "get_config: the parent's keys added last": {"ex1_get_config": get_config(
        "        config = {'units': self.units, 'activation': activations.serialize(self.activation), 'scale': self.scale,\n"
        "                  'kernel_initializer': initializers.serialize(self.kernel_initializer)}\n"
        "        config.update(super().get_config())\n"
        "        return config\n")},
    "from_config: a dict comprehension": {"ex2_from_config": from_config(
        "        arguments = {key: value for key, value in config.items() if key != 'inverse_temperature'}\n"
        "        if 'inverse_temperature' in config:\n"
        "            arguments['temperature'] = 1 / config['inverse_temperature']\n"
        "        return cls(**arguments)\n")},
    "from_config: the parent's from_config": {"ex2_from_config": from_config(
        "        config = config.copy()\n"
        "        inverse = config.pop('inverse_temperature', None)\n"
        "        if inverse is not None:\n"
        "            config['temperature'] = 1.0 / inverse\n"
        "        return super().from_config(config)\n")},
    "Standardize: the decorator, statistics with ops": {"ex3_standardize": (
        "@saving.register_keras_serializable(package='course')\n"
        + standardize(adapt=("    def adapt(self, data):\n"
                             "        if not self.built:\n"
                             "            self.build(tuple(np.shape(data)))\n"
                             "        mean, variance = ops.moments(ops.convert_to_tensor(data, dtype='float32'), axes=[0])\n"
                             "        self.mean.assign(mean)\n"
                             "        self.variance.assign(variance)\n"),
                      register=""))},
    "Standardize: get_config written out": {"ex3_standardize": standardize(
        call=STANDARDIZE["call"] + "\n    def get_config(self):\n        return {**super().get_config(), 'epsilon': self.epsilon}\n")},
}


def test_the_instructor_solutions_pass_everything():
    results = grade_in_process(NOTEBOOK)
    assert results and failures(results) == {}


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes_everything(name):
    assert failures(grade_in_process(NOTEBOOK, CORRECT_VARIANTS[name])) == {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name):
    answers, failing, cell, phrase = CASES[name] if len(CASES[name]) == 4 else (*CASES[name][:2], None, CASES[name][2])
    assert wrong_verdicts(grade_in_process(NOTEBOOK, answers), failing, phrase, cell) == []
