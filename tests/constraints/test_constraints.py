"""mlkit/constraints: what each projection does to the norms, names, configs."""

import json

import numpy as np
import pytest

from mlkit import constraints, ops

RNG = np.random.default_rng(9)


def column_norms(w, axis=0):
    return np.sqrt(np.sum(np.square(w), axis=axis))


def test_max_norm_rescales_only_the_long_columns():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
    out = constraints.MaxNorm(max_value=2.0)(w).numpy()
    np.testing.assert_allclose(column_norms(out), [2.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(out[:, 0] / np.linalg.norm(out[:, 0]), [0.6, 0.8])  # same direction
    np.testing.assert_allclose(out[:, 1], w[:, 1], rtol=1e-6)


def test_max_norm_over_several_axes_for_a_convolution_kernel():
    kernel = RNG.normal(size=(3, 3, 4, 5)) * 3
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(kernel).numpy()
    np.testing.assert_allclose(np.sqrt(np.sum(out**2, axis=(0, 1, 2))), np.ones(5), rtol=1e-6)


def test_non_neg_unit_norm_and_min_max_norm():
    w = RNG.normal(size=(6, 4))
    np.testing.assert_array_equal(constraints.NonNeg()(w).numpy(), np.maximum(w, 0))
    np.testing.assert_allclose(column_norms(constraints.UnitNorm()(w).numpy()), np.ones(4), rtol=1e-6)
    np.testing.assert_allclose(column_norms(constraints.UnitNorm(axis=1)(w).numpy(), axis=1), np.ones(6), rtol=1e-6)
    scaled = w * np.array([0.01, 0.5, 1.0, 10.0]) / column_norms(w)  # norms 0.01, 0.5, 1, 10
    out = constraints.MinMaxNorm(min_value=0.2, max_value=2.0)(scaled).numpy()
    np.testing.assert_allclose(column_norms(out), [0.2, 0.5, 1.0, 2.0], rtol=1e-5)
    halfway = constraints.MinMaxNorm(min_value=0.2, max_value=2.0, rate=0.5)(scaled).numpy()
    np.testing.assert_allclose(column_norms(halfway), [0.105, 0.5, 1.0, 6.0], rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constraints_keep_the_dtype(dtype):
    w = ops.convert_to_tensor(RNG.normal(size=(3, 2)), dtype=dtype)
    for constraint in [constraints.MaxNorm(), constraints.NonNeg(), constraints.UnitNorm(), constraints.MinMaxNorm()]:
        assert constraint(w).dtype == dtype


KERAS_DEFAULTS = {
    "MaxNorm": {"max_value": 2, "axis": 0},
    "MinMaxNorm": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0},
    "UnitNorm": {"axis": 0},
    "NonNeg": {},
}


@pytest.mark.parametrize("class_name", sorted(KERAS_DEFAULTS))
def test_defaults_configs_and_round_trips(class_name):
    constraint = getattr(constraints, class_name)()
    assert constraint.get_config() == KERAS_DEFAULTS[class_name]
    config = json.loads(json.dumps(constraints.serialize(constraint)))
    clone = constraints.deserialize(config)
    assert type(clone) is type(constraint) and clone.get_config() == constraint.get_config()


@pytest.mark.parametrize(
    "name, class_name",
    [("max_norm", "MaxNorm"), ("min_max_norm", "MinMaxNorm"), ("non_neg", "NonNeg"), ("unit_norm", "UnitNorm"),
     ("MaxNorm", "MaxNorm")],
)
def test_get_by_name(name, class_name):
    assert type(constraints.get(name)).__name__ == class_name


def test_get_other_identifiers_and_bad_names():
    assert constraints.get(None) is None
    instance = constraints.MaxNorm(3)
    assert constraints.get(instance) is instance
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}}).get_config() == {
        "max_value": 3, "axis": 1}
    assert constraints.max_norm is constraints.MaxNorm
    with pytest.raises(ValueError, match=r"Unknown constraint 'maxnorm'\. Use one of: max_norm, min_max_norm, non_neg, unit_norm"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="Could not interpret constraint identifier 2"):
        constraints.get(2)


def test_the_base_constraint_is_the_identity_and_can_be_subclassed():
    w = ops.convert_to_tensor([1.0, -2.0])
    assert constraints.Constraint()(w) is w

    class Clip(constraints.Constraint):
        def __call__(self, w):
            return ops.clip(w, -1.0, 1.0)

    assert Clip()(w).numpy().tolist() == [1.0, -1.0]
    assert Clip().get_config() == {}


BAD_SETTINGS = {
    "a max norm in quotes": (lambda: constraints.MaxNorm(max_value="2"), TypeError,
                             ["MaxNorm: `max_value` must be a number, got max_value='2'", "max_value=2."]),
    "a negative max norm": (lambda: constraints.MaxNorm(max_value=-1.0), ValueError, ["`max_value` must be a number >= 0"]),
    "min and max swapped": (lambda: constraints.MinMaxNorm(min_value=2.0, max_value=1.0), ValueError,
                            ["MinMaxNorm: `max_value` must be a number >= 2.0, got max_value=1.0"]),
    "a rate above 1": (lambda: constraints.MinMaxNorm(rate=2.0), ValueError, ["`rate` must be a number between 0 and 1"]),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_settings_are_refused_when_the_constraint_is_made(case):
    action, error_type, parts = BAD_SETTINGS[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)
