"""mlkit/initializers: names, Keras defaults and configs, the statistics of
every draw, and Keras's seeding rules."""

import json
import math
import warnings

import numpy as np
import pytest

from mlkit import initializers, random, saving, utils
from mlkit.initializers import compute_fans

# Keras 3: accepted string names (snake_case, class names and aliases).
NAMES = {
    "zeros": "Zeros", "zero": "Zeros", "ones": "Ones", "one": "Ones", "constant": "Constant",
    "random_normal": "RandomNormal", "normal": "RandomNormal", "random_uniform": "RandomUniform",
    "uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling", "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal", "he_normal": "HeNormal", "he_uniform": "HeUniform",
    "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform", "orthogonal": "Orthogonal",
    "identity": "Identity", "GlorotUniform": "GlorotUniform", "OrthogonalInitializer": "Orthogonal",
    "IdentityInitializer": "Identity",
}

# Keras 3: get_config() of a default-constructed initializer.
DEFAULT_CONFIGS = {
    "Zeros": {}, "Ones": {}, "Constant": {"value": 0.0}, "Identity": {"gain": 1.0},
    "RandomNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "RandomUniform": {"seed": None, "minval": -0.05, "maxval": 0.05},
    "TruncatedNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "VarianceScaling": {"seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
    "GlorotUniform": {"seed": None}, "GlorotNormal": {"seed": None}, "HeNormal": {"seed": None},
    "HeUniform": {"seed": None}, "LecunNormal": {"seed": None}, "LecunUniform": {"seed": None},
    "Orthogonal": {"seed": None, "gain": 1.0},
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_get_by_name(name):
    assert type(initializers.get(name)).__name__ == NAMES[name]


@pytest.mark.parametrize("class_name", sorted(DEFAULT_CONFIGS))
def test_default_config_and_json_round_trip(class_name):
    cls = getattr(initializers, class_name)
    initializer = cls()
    assert initializer.get_config() == DEFAULT_CONFIGS[class_name]
    config = json.loads(json.dumps(initializers.serialize(initializer)))
    assert config["class_name"] == class_name
    clone = initializers.deserialize(config)
    assert type(clone) is cls and clone.get_config() == initializer.get_config()
    assert type(initializers.get(config)) is cls


def test_get_accepts_classes_instances_and_callables():
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    instance = initializers.RandomNormal(stddev=2.0)
    assert initializers.get(instance) is instance

    def halves(shape, dtype=None):
        return np.full(shape, 0.5)

    assert initializers.get(halves) is halves
    assert initializers.get(None) is None
    assert initializers.glorot_uniform is initializers.GlorotUniform


def test_unknown_names_and_uninterpretable_identifiers_are_explained():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot'\. Use one of: .*glorot_normal, glorot_uniform.*he_normal"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="Could not interpret initializer identifier 3 of type int"):
        initializers.get(3)


def test_random_initializers_refuse_integer_dtypes_and_bad_shapes():
    with pytest.raises(ValueError, match=r"HeNormal: a random initializer makes floats.*'int32'"):
        initializers.HeNormal(seed=0)((2, 2), dtype="int32")
    with pytest.raises(ValueError, match=r"GlorotUniform: `shape` must be a tuple of non-negative ints.*None"):
        initializers.GlorotUniform(seed=0)(None)
    with pytest.raises(ValueError, match="seed must be None, an int or a mlkit.random.SeedGenerator, got 'x'"):
        initializers.RandomNormal(seed="x")
    with pytest.raises(ValueError, match="mode must be 'fan_in', 'fan_out' or 'fan_avg'"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="`scale` must be a number > 0, got scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="distribution must be"):
        initializers.VarianceScaling(distribution="cauchy")


# -- the statistics of each draw ----------------------------------------------
SHAPE = (200, 300)  # fan_in 200, fan_out 300


def test_glorot_uniform_limit():
    values = initializers.GlorotUniform(seed=1)(SHAPE).numpy()
    limit = math.sqrt(6 / (200 + 300))
    assert values.min() >= -limit and values.max() <= limit
    assert values.max() > 0.99 * limit and values.min() < -0.99 * limit
    assert abs(values.std() - limit / math.sqrt(3)) < 0.02 * limit


@pytest.mark.parametrize(
    "name, expected_std",
    [
        ("glorot_normal", math.sqrt(2 / (200 + 300))),
        ("he_normal", math.sqrt(2 / 200)),
        ("lecun_normal", math.sqrt(1 / 200)),
        ("he_uniform", math.sqrt(6 / 200) / math.sqrt(3)),
        ("lecun_uniform", math.sqrt(3 / 200) / math.sqrt(3)),
        ("random_normal", 0.05),
        ("random_uniform", 0.05 / math.sqrt(3)),
        ("truncated_normal", 0.05 * 0.8796),
    ],
)
def test_standard_deviations_follow_the_formulas(name, expected_std):
    initializer = initializers.get({"class_name": initializers.get(name).__class__.__name__, "config": {"seed": 3}})
    values = initializer(SHAPE).numpy()
    assert abs(values.std() / expected_std - 1) < 0.03
    assert abs(values.mean()) < 0.03 * expected_std * 10


def test_truncated_draws_stay_within_two_standard_deviations():
    std = math.sqrt(2 / 200) / 0.87962566103423978  # he_normal's pre-truncation stddev
    values = initializers.HeNormal(seed=0)(SHAPE).numpy()
    assert np.abs(values).max() <= 2 * std + 1e-6
    values = initializers.TruncatedNormal(stddev=1.0, seed=0)((1000,)).numpy()
    assert np.abs(values).max() <= 2.0


def test_uniform_variants_stay_within_their_limits():
    for initializer, limit in [
        (initializers.HeUniform(seed=0), math.sqrt(6 / 200)),
        (initializers.LecunUniform(seed=0), math.sqrt(3 / 200)),
        (initializers.RandomUniform(-0.2, 0.1, seed=0), 0.2),
    ]:
        values = initializer(SHAPE).numpy()
        assert np.abs(values).max() <= limit


def test_variance_scaling_modes_and_convolution_fans():
    assert compute_fans((3, 3, 16, 32)) == (144, 288)
    assert compute_fans((7,)) == (7, 7) and compute_fans(()) == (1, 1)
    kernel = initializers.HeNormal(seed=0)((3, 3, 16, 32)).numpy()
    assert abs(kernel.std() / math.sqrt(2 / 144) - 1) < 0.05
    for mode, n in [("fan_in", 200), ("fan_out", 300), ("fan_avg", 250)]:
        for distribution in ["untruncated_normal", "truncated_normal", "uniform"]:
            values = initializers.VarianceScaling(2.0, mode, distribution, seed=0)(SHAPE).numpy()
            assert abs(values.std() / math.sqrt(2.0 / n) - 1) < 0.03, (mode, distribution)
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


@pytest.mark.parametrize("shape", [(6, 6), (8, 3), (3, 8), (2, 3, 4, 5)], ids=str)
def test_orthogonal_is_orthogonal(shape):
    values = initializers.Orthogonal(gain=2.0, seed=0)(shape).numpy().astype(np.float64)
    flat = values.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, 4.0 * np.eye(flat.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(flat @ flat.T, 4.0 * np.eye(flat.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 axes"):
        initializers.Orthogonal(seed=0)((5,))


def test_constant_initializers_and_identity():
    assert initializers.Zeros()((2, 3)).numpy().tolist() == [[0.0] * 3] * 2
    assert initializers.Ones()((2,), dtype="int32").dtype == "int32"
    assert initializers.Constant(3.5)((2,)).numpy().tolist() == [3.5, 3.5]
    assert initializers.Constant(2)((1,), dtype="float64").dtype == "float64"
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((2, 3)).numpy(), 3.0 * np.eye(2, 3))
    assert initializers.Identity()((2, 2)).dtype == "float32"
    with pytest.raises(ValueError, match=r"only 2-d shapes.*\(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initializers_honour_the_dtype(dtype):
    for name in ["glorot_uniform", "he_normal", "orthogonal", "random_normal", "zeros", "identity"]:
        assert initializers.get(name)((3, 3), dtype=dtype).dtype == dtype


# -- seeding ------------------------------------------------------------------
def test_a_seeded_initializer_is_reproducible_across_calls_and_instances():
    first = initializers.GlorotNormal(seed=42)((4, 5)).numpy()
    np.testing.assert_array_equal(initializers.GlorotNormal(seed=42)((4, 5)).numpy(), first)
    init = initializers.RandomUniform(seed=42)
    np.testing.assert_array_equal(init((3,)).numpy(), init((3,)).numpy())
    assert not np.array_equal(initializers.GlorotNormal(seed=43)((4, 5)).numpy(), first)


def test_an_unseeded_initializer_repeats_itself_and_warns_like_keras():
    init = initializers.HeUniform()
    first = init((4, 4)).numpy()
    with pytest.warns(UserWarning, match="unseeded and is being called a second time"):
        second = init((4, 4)).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(initializers.HeUniform()((4, 4)).numpy(), first)  # a new object, a new seed
    assert not np.array_equal(init.clone()((4, 4)).numpy(), first)


def test_a_seed_generator_gives_a_new_draw_per_call_and_saves():
    init = initializers.RandomNormal(seed=random.SeedGenerator(9))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, b = init((3,)).numpy(), init((3,)).numpy()
    assert not np.array_equal(a, b)
    config = json.loads(json.dumps(init.get_config()))
    assert config["seed"]["class_name"] == "SeedGenerator" and config["seed"]["config"] == {"seed": 9}
    clone = initializers.RandomNormal.from_config(config)
    np.testing.assert_array_equal(clone((3,)).numpy(), a)


def test_unseeded_draws_are_reproducible_after_set_random_seed():
    def draws():
        return [initializers.get(name)((5, 4)).numpy() for name in ["glorot_uniform", "he_normal", "orthogonal"]]

    utils.set_random_seed(1)
    first = draws()
    utils.set_random_seed(1)
    for a, b in zip(first, draws()):
        np.testing.assert_array_equal(a, b)


def test_a_subclassed_initializer_saves_and_loads():
    @saving.register_keras_serializable(package="InitializerTests")
    class Halves(initializers.Initializer):
        def __init__(self, scale=0.5):
            self.scale = scale

        def __call__(self, shape, dtype=None):
            return initializers.Constant(self.scale)(shape, dtype=dtype)

        def get_config(self):
            return {"scale": self.scale}

    config = json.loads(json.dumps(initializers.serialize(Halves(0.25))))
    clone = initializers.deserialize(config)
    assert isinstance(clone, Halves) and clone((2,)).numpy().tolist() == [0.25, 0.25]
    with pytest.raises(NotImplementedError, match=r"must implement __call__\(shape, dtype=None\)"):
        initializers.Initializer()((2,))


BAD_SETTINGS = {
    "a constant that is not a number": (lambda: initializers.Constant("a"), ValueError,
                                        ["Constant: `value` must be a number (or an array of numbers), got value='a'"]),
    "a constant number in quotes": (lambda: initializers.Constant("0.5"), ValueError, ["Constant(0.5) without quotes"]),
    "a negative stddev": (lambda: initializers.RandomNormal(stddev=-1), ValueError,
                          ["RandomNormal: `stddev` must be a number >= 0, got stddev=-1"]),
    "a stddev in quotes": (lambda: initializers.TruncatedNormal(stddev="0.1"), TypeError,
                           ["TruncatedNormal: `stddev` must be a number, got stddev='0.1'", "stddev=0.1."]),
    "a negative truncated stddev": (lambda: initializers.TruncatedNormal(stddev=-0.1), ValueError, ["got stddev=-0.1"]),
    "a mean in quotes": (lambda: initializers.RandomNormal(mean="0"), TypeError, ["`mean` must be a number"]),
    "uniform bounds swapped": (lambda: initializers.RandomUniform(minval=1, maxval=0), ValueError,
                               ["RandomUniform: `maxval` must be a number >= 1, got maxval=0", "smaller bound as minval"]),
    "a scale in quotes": (lambda: initializers.VarianceScaling(scale="2"), TypeError,
                          ["VarianceScaling: `scale` must be a number, got scale='2'"]),
    "an orthogonal gain in quotes": (lambda: initializers.Orthogonal(gain="1"), TypeError, ["Orthogonal: `gain` must be a number"]),
    "an identity gain in quotes": (lambda: initializers.Identity(gain="1"), TypeError, ["Identity: `gain` must be a number"]),
    "a shape written as a string": (lambda: initializers.GlorotUniform(seed=0)("32"), TypeError,
                                    ["GlorotUniform: `shape` must be a tuple of ints", "got the string '32'"]),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_settings_get_an_error_that_names_the_argument(case):
    action, error_type, parts = BAD_SETTINGS[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)


def test_constant_takes_numbers_arrays_and_tensors():
    from mlkit import ops

    for value, expected in ((2, [2.0, 2.0]), (np.float32(0.5), [0.5, 0.5]), ([1, 3], [1.0, 3.0]), (ops.ones((2,)), [1.0, 1.0])):
        assert initializers.Constant(value)((2,)).numpy().tolist() == expected
