"""mlkit/regularizers: penalty values, gradients, names, configs, subclassing."""

import json

import numpy as np
import pytest

from mlkit import ops, regularizers, saving
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(5)
W = RNG.normal(size=(4, 3))


def test_penalty_values():
    np.testing.assert_allclose(float(regularizers.L1(0.3)(W)), 0.3 * np.abs(W).sum(), rtol=1e-6)
    np.testing.assert_allclose(float(regularizers.L2(0.1)(W)), 0.1 * np.square(W).sum(), rtol=1e-6)
    np.testing.assert_allclose(
        float(regularizers.L1L2(l1=0.01, l2=0.02)(W)), 0.01 * np.abs(W).sum() + 0.02 * np.square(W).sum(), rtol=1e-6
    )
    assert float(regularizers.L2(2.0)(ops.ones((5, 5)))) == 50.0  # Keras's documented example
    assert float(regularizers.L1L2()(W)) == 0.0


def test_keras_defaults_and_configs():
    assert regularizers.L1().get_config() == {"l1": 0.01}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.OrthogonalRegularizer().get_config() == {"factor": 0.01, "mode": "rows"}
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L1L2(l1=None).l1 == 0.0


@pytest.mark.parametrize(
    "regularizer",
    [regularizers.L1(0.2), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.4), regularizers.OrthogonalRegularizer(0.5),
     regularizers.OrthogonalRegularizer(0.5, mode="columns")],
    ids=lambda r: f"{type(r).__name__}{r.get_config()}",
)
def test_penalties_are_differentiable(regularizer):
    away_from_zero = np.sign(W) * (np.abs(W) + 0.3)  # |x| has a kink at 0
    check_gradients(regularizer, [away_from_zero])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_penalties_keep_the_weight_dtype(dtype):
    w = ops.convert_to_tensor(W, dtype=dtype)
    for regularizer in [regularizers.L1(), regularizers.L2(), regularizers.L1L2(), regularizers.L1L2(0.1, 0.1),
                        regularizers.OrthogonalRegularizer()]:
        assert regularizer(w).dtype == dtype, regularizer


def test_orthogonal_regularizer_values():
    orthogonal_rows = np.array([[2.0, 0.0, 0.0], [0.0, -3.0, 0.0]])
    assert float(regularizers.OrthogonalRegularizer(1.0)(orthogonal_rows)) == pytest.approx(0.0, abs=1e-7)
    parallel_rows = np.array([[1.0, 1.0], [2.0, 2.0]])
    assert float(regularizers.OrthogonalRegularizer(0.5)(parallel_rows)) == pytest.approx(0.5)
    assert float(regularizers.OrthogonalRegularizer(0.5, mode="columns")(parallel_rows.T)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"needs a 2-d weight.*\(3,\)"):
        regularizers.OrthogonalRegularizer()(np.ones(3))
    with pytest.raises(ValueError, match="mode must be 'rows' or 'columns', got mode='diagonal'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize(
    "name, class_name",
    [("l1", "L1"), ("l2", "L2"), ("l1_l2", "L1L2"), ("l1l2", "L1L2"), ("L2", "L2"),
     ("orthogonal_regularizer", "OrthogonalRegularizer"), ("OrthogonalRegularizer", "OrthogonalRegularizer")],
)
def test_get_by_name(name, class_name):
    assert type(regularizers.get(name)).__name__ == class_name


def test_get_other_identifiers_and_round_trips():
    assert regularizers.get(None) is None
    instance = regularizers.L2(0.5)
    assert regularizers.get(instance) is instance
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)
    assert regularizers.l2 is regularizers.L2

    def total(x):
        return 0.1 * ops.sum(x)

    assert regularizers.get(total) is total
    for regularizer in [regularizers.L1(0.3), regularizers.L1L2(0.1, 0.2), regularizers.OrthogonalRegularizer(0.2, "columns")]:
        config = json.loads(json.dumps(regularizers.serialize(regularizer)))
        clone = regularizers.deserialize(config)
        assert type(clone) is type(regularizer) and clone.get_config() == regularizer.get_config()
        assert regularizers.get(config).get_config() == regularizer.get_config()


def test_bad_factors_and_names_are_explained():
    for bad in [-0.1, float("nan"), float("inf"), "0.1", True]:
        with pytest.raises(ValueError, match=r"L2: l2 must be a non-negative float, got l2="):
            regularizers.L2(bad)
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'\. Use one of: l1, l1_l2, l1l2, l2, orthogonal_regularizer"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier 0.5"):
        regularizers.get(0.5)


def test_a_subclassed_regularizer_computes_saves_and_loads():
    @saving.register_keras_serializable(package="RegularizerTests")
    class SumOfCubes(regularizers.Regularizer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, x):
            return self.factor * ops.sum(x**3)

        def get_config(self):
            return {"factor": self.factor}

    penalty = SumOfCubes(0.5)
    assert float(penalty(np.array([1.0, 2.0]))) == 4.5
    check_gradients(penalty, [W])
    clone = regularizers.deserialize(json.loads(json.dumps(regularizers.serialize(penalty))))
    assert isinstance(clone, SumOfCubes) and clone.factor == 0.5
    assert regularizers.Regularizer()(W) == 0.0
    with pytest.raises(NotImplementedError, match="must implement get_config"):
        regularizers.Regularizer().get_config()
