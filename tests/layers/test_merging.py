"""Merging layers (mlkit/layers/merging/): Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot, and their lowercase functional forms.

The element-wise layers follow NumPy broadcasting after the batch axis, with
size-1 axes inserted right after the batch axis for lower-rank inputs; the
references below do exactly that with NumPy.
"""

import functools
import json

import numpy as np
import pytest

from mlkit import layers
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(3)

ELEMENTWISE = {
    "Add": (layers.Add, layers.add, lambda xs: functools.reduce(np.add, xs)),
    "Subtract": (layers.Subtract, layers.subtract, lambda xs: xs[0] - xs[1]),
    "Multiply": (layers.Multiply, layers.multiply, lambda xs: functools.reduce(np.multiply, xs)),
    "Average": (layers.Average, layers.average, lambda xs: functools.reduce(np.add, xs) / len(xs)),
    "Maximum": (layers.Maximum, layers.maximum, lambda xs: functools.reduce(np.maximum, xs)),
    "Minimum": (layers.Minimum, layers.minimum, lambda xs: functools.reduce(np.minimum, xs)),
}
MANY_INPUTS = [name for name in ELEMENTWISE if name != "Subtract"]


def random_inputs(*shapes):
    return [RNG.normal(size=shape) for shape in shapes]


def aligned(xs):
    """Insert size-1 axes after the batch axis so every input has the same rank."""
    rank = max(x.ndim for x in xs)
    return [x.reshape((x.shape[0],) + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]


def assert_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    return clone


# -- the element-wise merges ----------------------------------------------------
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize(
    "shapes",
    [[(3, 4), (3, 4)], [(2, 3, 4), (2, 1, 4)], [(2, 4), (2, 3, 4)], [(2, 3, 1), (2, 1, 5)]],
    ids=["same", "broadcast", "lower-rank", "both-broadcast"],
)
def test_two_input_merges_match_numpy_and_gradients(name, shapes):
    cls, _, reference = ELEMENTWISE[name]
    xs = random_inputs(*shapes)
    layer = cls(dtype="float64")
    out = layer(xs).numpy()
    expected = reference(aligned(xs))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    check_gradients(lambda a, b: layer([a, b]), xs)
    none_batch = [(None,) + shape[1:] for shape in shapes]
    assert layer.compute_output_shape(none_batch) == (None,) + expected.shape[1:]


@pytest.mark.parametrize("name", MANY_INPUTS)
@pytest.mark.parametrize("seed", range(4))
def test_merges_of_random_broadcastable_shapes_match_numpy(name, seed):
    rng = np.random.default_rng(seed)
    cls, _, reference = ELEMENTWISE[name]
    full = tuple(rng.integers(1, 4, size=rng.integers(1, 4)))
    shapes = []
    for _ in range(rng.integers(2, 5)):
        rank = rng.integers(0, len(full) + 1)  # fewer axes: size-1 axes are inserted after the batch
        sizes = [1 if rng.random() < 0.3 else n for n in full[len(full) - rank:]]
        shapes.append((3,) + tuple(sizes))
    xs = [rng.normal(size=shape) for shape in shapes]
    out = cls(dtype="float64")(xs).numpy()
    expected = reference(aligned(xs))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("name", MANY_INPUTS)
def test_three_input_merges_match_numpy_and_gradients(name):
    cls, _, reference = ELEMENTWISE[name]
    xs = random_inputs((2, 3), (2, 3), (2, 1))
    layer = cls(dtype="float64")
    np.testing.assert_allclose(layer(xs).numpy(), reference(xs), rtol=1e-12)
    check_gradients(lambda a, b, c: layer([a, b, c]), xs)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_functional_forms_equal_the_layers(name):
    cls, function, reference = ELEMENTWISE[name]
    xs = random_inputs((4, 2), (4, 2))
    np.testing.assert_allclose(function(xs, dtype="float64").numpy(), reference(xs), rtol=1e-12)
    assert function(xs, name=f"functional_{name.lower()}") is not None


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_merges_are_weightless_and_round_trip(name):
    cls, _, _ = ELEMENTWISE[name]
    layer = cls(name=f"merge_{name.lower()}")
    layer([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")])
    assert layer.weights == []
    clone = assert_config_round_trip(layer)
    assert clone.name == f"merge_{name.lower()}"


def test_output_shape_keeps_known_batch_and_unknown_axes():
    add = layers.Add()
    assert add.compute_output_shape([(8, 3), (None, 3)]) == (8, 3)
    assert add.compute_output_shape([(None, None, 4), (None, 5, 1)]) == (None, None, 4)
    assert add.compute_output_shape([(None, 4), (None, 2, 4), (None, 3, 1, 4)]) == (None, 3, 2, 4)


# -- clear errors --------------------------------------------------------------
def test_add_of_mismatched_shapes_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Add layer 'residual': inputs have incompatible shapes \(None, 3\), \(None, 4\)"):
        layers.Add(name="residual").compute_output_shape([(None, 3), (None, 4)])
    with pytest.raises(ValueError, match=r"Add layer 'sum_up': inputs have incompatible shapes \(2, 3\), \(2, 4\)"):
        layers.Add(name="sum_up")([np.ones((2, 3)), np.ones((2, 4))])


def test_shape_mismatch_after_build_is_still_a_clear_error():
    layer = layers.Multiply(name="gate")
    layer([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"Multiply layer 'gate': inputs have incompatible shapes \(2, 3\), \(2, 5\)"):
        layer([np.ones((2, 3)), np.ones((2, 5))])


def test_merge_errors_for_wrong_input_structure():
    with pytest.raises(ValueError, match=r"Maximum layer 'biggest' must be called on a list of tensors.*\(2, 3\)"):
        layers.Maximum(name="biggest")(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Subtract layer 'diff' must be called on exactly 2 inputs, got 3"):
        layers.Subtract(name="diff")([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="Average layer 'mean': cannot merge tensors with different batch sizes"):
        layers.Average(name="mean")([np.ones((2, 3)), np.ones((4, 3))])


def test_single_input_list_is_allowed_as_in_keras():
    x = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(layers.Add(dtype="float64")([x]).numpy(), x)


# -- Concatenate ---------------------------------------------------------------
@pytest.mark.parametrize(
    "axis, shapes",
    [(-1, [(2, 3), (2, 4)]), (1, [(2, 2, 5), (2, 1, 5), (2, 3, 5)]), (2, [(2, 3, 1), (2, 3, 2)]), (-2, [(1, 2, 3), (1, 4, 3)])],
)
def test_concatenate_matches_numpy_and_gradients(axis, shapes):
    xs = random_inputs(*shapes)
    layer = layers.Concatenate(axis=axis, dtype="float64")
    expected = np.concatenate(xs, axis=axis)
    np.testing.assert_array_equal(layer(xs).numpy(), expected)
    check_gradients(lambda *ts: layer(list(ts)), xs)
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (None,) + expected.shape[1:]
    np.testing.assert_array_equal(layers.concatenate(xs, axis=axis, dtype="float64").numpy(), expected)
    assert assert_config_round_trip(layer).axis == axis


def test_concatenate_output_shape_with_unknown_sizes():
    layer = layers.Concatenate()
    assert layer.compute_output_shape([(None, 4, 3), (None, None, 2)]) == (None, 4, 5)
    assert layer.compute_output_shape([(None, 4, 3), (None, 4, None)]) == (None, 4, None)
    assert layers.Concatenate().axis == -1


def test_concatenate_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Concatenate layer 'join': .*axis 1 has sizes \[3, 4\]"):
        layers.Concatenate(axis=-1, name="join")([np.ones((2, 3, 5)), np.ones((2, 4, 5))])
    with pytest.raises(ValueError, match="Concatenate layer 'ranks': all inputs must have the same number of axes"):
        layers.Concatenate(name="ranks")([np.ones((2, 3)), np.ones((2, 3, 1))])
    with pytest.raises(ValueError, match="Concatenate layer 'far': axis=3 does not exist"):
        layers.Concatenate(axis=3, name="far")([np.ones((2, 3)), np.ones((2, 3))])
    built = layers.Concatenate(name="later")
    built([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="Concatenate layer 'later'"):
        built([np.ones((2, 3)), np.ones((5, 4))])


# -- Dot -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "axes, shapes, einsum",
    [
        (1, [(3, 4), (3, 4)], "bk,bk->b"),
        (-1, [(3, 4), (3, 4)], "bk,bk->b"),
        ((1, 2), [(2, 5, 3), (2, 4, 5)], "bkx,byk->bxy"),
        ((2, 1), [(2, 3, 4), (2, 4, 5)], "bxk,bky->bxy"),
        (2, [(2, 3, 4), (2, 5, 4)], "bxk,byk->bxy"),
        ((1, 1), [(2, 4), (2, 4, 3)], "bk,bky->by"),
    ],
)
def test_dot_matches_numpy_and_gradients(axes, shapes, einsum):
    xs = random_inputs(*shapes)
    layer = layers.Dot(axes=axes, dtype="float64")
    expected = np.einsum(einsum, *xs)
    if expected.ndim == 1:
        expected = expected[:, None]  # Keras keeps a feature axis: (batch, 1)
    np.testing.assert_allclose(layer(xs).numpy(), expected, rtol=1e-12)
    check_gradients(lambda a, b: layer([a, b]), xs)
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (None,) + expected.shape[1:]
    assert assert_config_round_trip(layer).axes == (list(axes) if isinstance(axes, tuple) else axes)


def test_dot_normalize_gives_cosine_similarity():
    a, b = random_inputs((5, 3), (5, 3))
    layer = layers.Dot(axes=1, normalize=True, dtype="float64")
    cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(layer([a, b]).numpy()[:, 0], cosine, rtol=1e-12)
    check_gradients(lambda x, y: layer([x, y]), [a, b])
    np.testing.assert_allclose(layers.dot([a, a], axes=1, normalize=True, dtype="float64").numpy(), 1.0, rtol=1e-12)


def test_dot_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Dot layer 'similarity': axis 1 of the first input \(size 3\) and axis 1 of the second \(size 4\)"):
        layers.Dot(axes=1, name="similarity")([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="Dot layer 'batchwise': cannot take the dot product over the batch axis"):
        layers.Dot(axes=0, name="batchwise")([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="Dot layer 'three' must be called on exactly 2 inputs"):
        layers.Dot(axes=1, name="three")([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="axes must be an int or a pair of ints"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="axes must be an int or a pair of ints"):
        layers.Dot(axes="1")
