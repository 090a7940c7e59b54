"""mlkit/random: seeded draws, their distributions, dropout and shuffle."""

import inspect

import numpy as np
import pytest

from mlkit import GradientTape, initializers, ops, random, utils

DRAWS = {
    "normal": lambda seed: random.normal((3, 4), seed=seed),
    "uniform": lambda seed: random.uniform((3, 4), seed=seed),
    "truncated_normal": lambda seed: random.truncated_normal((3, 4), seed=seed),
    "randint": lambda seed: random.randint((3, 4), 0, 100, seed=seed),
    "dropout": lambda seed: random.dropout(ops.ones((3, 4)), 0.5, seed=seed),
    "shuffle": lambda seed: random.shuffle(ops.arange(12), seed=seed),
    "categorical": lambda seed: random.categorical(ops.zeros((3, 10)), 4, seed=seed),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_an_int_seed_repeats_and_different_seeds_differ(name):
    draw = DRAWS[name]
    np.testing.assert_array_equal(draw(7).numpy(), draw(7).numpy())
    assert not np.array_equal(draw(7).numpy(), draw(8).numpy())


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_seed_generator_moves_on_but_is_reproducible(name):
    draw = DRAWS[name]
    stream = random.SeedGenerator(3)
    first, second = draw(stream).numpy(), draw(stream).numpy()
    assert not np.array_equal(first, second)
    replay = random.SeedGenerator(3)
    np.testing.assert_array_equal(draw(replay).numpy(), first)
    np.testing.assert_array_equal(draw(replay).numpy(), second)


def run_once():
    """Draws of the kinds a training run makes, all unseeded."""
    kernel = initializers.get("glorot_uniform")((4, 3)).numpy()
    other = initializers.HeNormal()((4, 3)).numpy()
    mask = random.dropout(ops.ones((5, 5)), rate=0.5).numpy()
    stream = random.SeedGenerator()
    noise = random.normal((3,), seed=stream).numpy()
    order = random.shuffle(ops.arange(10)).numpy()
    return [kernel, other, mask, noise, order]


def test_set_random_seed_makes_everything_reproducible():
    utils.set_random_seed(1)
    first = run_once()
    utils.set_random_seed(1)
    second = run_once()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    utils.set_random_seed(2)
    third = run_once()
    assert not np.array_equal(first[0], third[0]) and not np.array_equal(first[2], third[2])


def test_normal_uniform_and_truncated_normal_distributions():
    values = random.normal((200, 100), mean=1.0, stddev=2.0, seed=0).numpy()
    assert abs(values.mean() - 1.0) < 0.05 and abs(values.std() - 2.0) < 0.05
    values = random.uniform((200, 100), minval=-3.0, maxval=-1.0, seed=0).numpy()
    assert values.min() >= -3.0 and values.max() < -1.0 and abs(values.mean() + 2.0) < 0.02
    values = random.truncated_normal((200, 100), mean=0.5, stddev=0.1, seed=0).numpy()
    assert np.all(np.abs(values - 0.5) <= 0.2 + 1e-6)
    # The standard normal cut at ±2 has standard deviation 0.8796.
    assert abs(values.std() / 0.1 - 0.8796) < 0.02
    counts = np.bincount(random.randint((10000,), 2, 5, seed=0).numpy())
    assert counts[:2].sum() == 0 and len(counts) == 5 and counts[2:].min() > 3000


def test_dtypes():
    assert random.normal((2,)).dtype == "float32"
    assert random.uniform((2,), dtype="float64").dtype == "float64"
    assert random.truncated_normal((2,), dtype="float16").dtype == "float16"
    assert random.randint((2,), 0, 3).dtype == "int32"
    assert random.categorical(ops.zeros((1, 2)), 3).dtype == "int32"


def test_float_draws_refuse_an_integer_dtype_and_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"random.normal draws floats.*'int32'.*randint"):
        random.normal((2,), dtype="int32")
    with pytest.raises(ValueError, match=r"random.uniform draws floats"):
        random.uniform((2,), dtype="bool")
    with pytest.raises(ValueError, match=r"randint draws integers.*'float32'"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match=r"`shape` must be a tuple of non-negative ints.*\(2, -3\)"):
        random.normal((2, -3))
    with pytest.raises(ValueError, match="seed must be None, an int or a mlkit.random.SeedGenerator, got 'abc'"):
        random.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="SeedGenerator: seed must be None or an int, got 1.5"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match=r"logits of shape \(batch_size, num_classes\)"):
        random.categorical(ops.zeros((3,)), 2)


def test_categorical_follows_the_logits():
    logits = ops.convert_to_tensor([[np.log(0.2), np.log(0.8), -np.inf], [0.0, 0.0, 0.0]])
    samples = random.categorical(logits, 6000, seed=0).numpy()
    assert samples.shape == (2, 6000)
    first = np.bincount(samples[0], minlength=3) / 6000
    assert abs(first[0] - 0.2) < 0.02 and abs(first[1] - 0.8) < 0.02 and first[2] == 0
    second = np.bincount(samples[1], minlength=3) / 6000
    assert np.all(np.abs(second - 1 / 3) < 0.03)


def test_dropout_zeroes_a_fraction_scales_the_rest_and_passes_gradients():
    x = ops.convert_to_tensor(np.ones((100, 100)))
    with GradientTape() as tape:
        tape.watch(x)
        out = random.dropout(x, rate=0.3, seed=0)
        total = ops.sum(out)
    values = out.numpy()
    assert abs((values == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(values[values != 0], 1 / 0.7)
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), values)  # the gradient is the mask
    assert out.dtype == "float64"
    assert float(ops.sum(random.dropout(x, rate=0.0, seed=0))) == 10000.0


def test_dropout_noise_shape_shares_the_mask():
    out = random.dropout(ops.ones((4, 50, 3)), 0.5, noise_shape=(None, 1, 3), seed=0).numpy()
    assert np.all(out == out[:, :1, :])
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1"):
        random.dropout(ops.ones((2,)), 1)


def test_shuffle_is_a_permutation_and_differentiable():
    x = ops.convert_to_tensor(np.arange(12.0).reshape(6, 2))
    with GradientTape() as tape:
        tape.watch(x)
        shuffled = random.shuffle(x, seed=0)
        total = ops.sum(shuffled * np.arange(12.0).reshape(6, 2))
    assert sorted(shuffled.numpy()[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]
    np.testing.assert_array_equal(shuffled.numpy()[:, 1] - shuffled.numpy()[:, 0], np.ones(6))
    grad = tape.gradient(total, x).numpy()
    order = (shuffled.numpy()[:, 0] / 2).astype(int)
    np.testing.assert_array_equal(grad[order], np.arange(12.0).reshape(6, 2))
    columns = random.shuffle(x, axis=1, seed=1).numpy()
    assert sorted(columns[0].tolist()) == [0, 1]


def test_seed_generator_config():
    stream = random.SeedGenerator(5)
    assert stream.get_config() == {"seed": 5}
    assert random.SeedGenerator.from_config(stream.get_config()).get_config() == {"seed": 5}


KERAS_SIGNATURES = {
    "normal": "(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)",
    "uniform": "(shape, minval=0.0, maxval=1.0, dtype=None, seed=None)",
    "truncated_normal": "(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)",
    "randint": "(shape, minval, maxval, dtype='int32', seed=None)",
    "categorical": "(logits, num_samples, dtype='int32', seed=None)",
    "dropout": "(inputs, rate, noise_shape=None, seed=None)",
    "shuffle": "(x, axis=0, seed=None)",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_signatures_match_keras_random(name):
    assert str(inspect.signature(getattr(random, name))) == KERAS_SIGNATURES[name]
