"""Adam against the formulas, with Keras's placement of the bias correction
(inside alpha) and of epsilon (after the square root)."""

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import optimizers


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"amsgrad": True}, {"beta_1": 0.5, "beta_2": 0.75, "epsilon": 0.5}, {"beta_1": 0.0, "amsgrad": True}],
)
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-5)])
def test_adam_matches_the_formula_for_several_steps(make_variables, gradient_steps, reference_adam, kwargs, dtype, rtol):
    variables = make_variables(dtype)
    start = [v.numpy() for v in variables]
    steps = gradient_steps(6)
    steps[-1] = [g * 0.01 for g in steps[-1]]  # a small last gradient: amsgrad keeps the larger velocity
    optimizer = optimizers.Adam(learning_rate=0.0625, **kwargs)
    for grads in steps:
        optimizer.apply_gradients(zip(grads, variables))
    expected, m, v, v_hat = reference_adam(start, steps, **kwargs)
    for variable, e in zip(variables, expected):
        np.testing.assert_allclose(variable.numpy(), e, rtol=rtol, atol=1e-7)
    for slots, reference in [(optimizer._momentums, m), (optimizer._velocities, v)]:
        for slot, e in zip(slots, reference):
            np.testing.assert_allclose(slot.numpy(), e, rtol=rtol, atol=1e-9 if dtype == "float64" else 1e-6)
    if kwargs.get("amsgrad"):
        for slot, e in zip(optimizer._velocity_hats, v_hat):
            np.testing.assert_allclose(slot.numpy(), e, rtol=rtol, atol=1e-9 if dtype == "float64" else 1e-6)
        assert any(not np.allclose(a, b) for a, b in zip(v, v_hat))


def test_first_step_moves_each_weight_by_about_the_learning_rate():
    # Bias correction: step 1 moves w by lr * g / (|g| + epsilon / sqrt(1 - beta_2)),
    # about lr * sign(g) unless g is tiny: epsilon counts 1 / sqrt(0.001) = 31.6 times.
    g = np.array([1e-5, 1e-3, -20.0, 300.0])
    w = mlkit.Variable(np.zeros(4), name="w")
    optimizers.Adam(learning_rate=0.5).apply_gradients([(g, w)])
    np.testing.assert_allclose(w.numpy(), -0.5 * g / (np.abs(g) + 1e-7 / np.sqrt(0.001)), rtol=1e-12)
    np.testing.assert_allclose(w.numpy()[2:], [0.5, -0.5], rtol=1e-6)


def test_epsilon_is_added_after_the_square_root():
    w = mlkit.Variable(np.array([0.0]), name="w")
    optimizers.Adam(learning_rate=1.0, epsilon=1.0).apply_gradients([(np.array([4.0]), w)])
    # alpha = sqrt(0.001) / 0.1; m = 0.4; sqrt(v) = sqrt(0.016)
    expected = -(np.sqrt(0.001) / 0.1) * 0.4 / (np.sqrt(0.016) + 1.0)
    np.testing.assert_allclose(w.numpy(), [expected], rtol=1e-12)


def test_learning_rate_schedule_and_bias_correction_use_iterations_across_calls():
    schedule = optimizers.schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    w = mlkit.Variable(np.array([0.0]), name="w")
    optimizer = optimizers.Adam(learning_rate=schedule)
    value, m, v = 0.0, 0.0, 0.0
    for t in range(1, 4):
        optimizer.apply_gradients([(np.array([2.0]), w)])
        rate = float(np.float32(0.5 * 0.5 ** (t - 1)))
        m, v = m + (2.0 - m) * 0.1, v + (4.0 - v) * 0.001
        value -= rate * np.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-7)
        np.testing.assert_allclose(w.numpy(), [value], rtol=1e-12)


def test_defaults():
    config = optimizers.Adam().get_config()
    assert config["learning_rate"] == pytest.approx(0.001)
    assert (config["beta_1"], config["beta_2"], config["epsilon"], config["amsgrad"]) == (0.9, 0.999, 1e-7, False)
    assert config["name"] == "adam"


@pytest.mark.parametrize("epsilon, error_type, part", [
    ("1e-7", TypeError, "`epsilon` must be a number, got epsilon='1e-7' (of type str). Write the number without quotes"),
    (0.0, ValueError, "`epsilon` must be a number > 0, got epsilon=0.0"),
])
def test_epsilon_of_the_wrong_kind_is_refused(epsilon, error_type, part):
    with pytest.raises(error_type) as caught:
        optimizers.Adam(epsilon=epsilon)
    assert str(caught.value).startswith("Adam 'adam': ") and part in str(caught.value)
