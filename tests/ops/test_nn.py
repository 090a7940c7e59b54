"""mlkit/ops/nn.py: activation functions, softmax and moments.

Each function is compared with its formula written out in NumPy here and
gradient-checked in float64, on inputs kept clear of its kinks.
"""

import math
import warnings

import numpy as np
import pytest

from mlkit import GradientTape, ops
from mlkit.utils.gradient_check import check_gradients

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
erf = np.vectorize(math.erf)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.log1p(np.exp(x))


ACTIVATIONS = {
    "relu": (ops.relu, lambda x: np.maximum(x, 0)),
    "relu6": (ops.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "leaky_relu 0.1": (lambda x: ops.leaky_relu(x, negative_slope=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    "sigmoid": (ops.sigmoid, sigmoid),
    "log_sigmoid": (ops.log_sigmoid, lambda x: np.log(sigmoid(x))),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hard_silu": (ops.hard_silu, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "tanh": (ops.tanh, np.tanh),
    "softplus": (ops.softplus, softplus),
    "softsign": (ops.softsign, lambda x: x / (1 + np.abs(x))),
    "silu": (ops.silu, lambda x: x * sigmoid(x)),
    "elu": (ops.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "elu alpha 0.5": (lambda x: ops.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    "selu": (ops.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    "gelu": (ops.gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    "gelu exact": (lambda x: ops.gelu(x, approximate=False), lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2)))),
    "erf": (ops.erf, erf),
    "mish": (ops.mish, lambda x: x * np.tanh(softplus(x))),
}


def clear_of_kinks(rng, shape):
    """Values in ±[0.2, 5], none within 0.2 of 0, ±3 or 6 (the kinks above)."""
    x = rng.uniform(0.2, 5.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    near_kink = (np.abs(np.abs(x) - 3) < 0.2) | (np.abs(x - 6) < 0.2)
    return np.where(near_kink, x * 0.5, x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_gradients(name, rng):
    op, reference = ACTIVATIONS[name]
    x = clear_of_kinks(rng, (4, 6))
    tolerance = 1e-7 if name in ("erf", "gelu exact") else 1e-12  # erf is a 1e-7 approximation
    np.testing.assert_allclose(op(x).numpy(), reference(x), rtol=tolerance, atol=tolerance)
    check_gradients(op, [x])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + ["softmax", "log_softmax"])
def test_activation_keeps_the_dtype(name, dtype, rng):
    op = ACTIVATIONS[name][0] if name in ACTIVATIONS else getattr(ops, name)
    x = ops.convert_to_tensor(rng.normal(size=(2, 3)), dtype=dtype)
    with GradientTape() as tape:
        tape.watch(x)
        out = op(x)
        total = ops.sum(out * out)
    assert out.dtype == dtype
    assert tape.gradient(total, x).dtype == dtype


def numpy_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, (1, 2)], ids=str)
def test_softmax_and_log_softmax(axis, rng):
    x = rng.normal(size=(2, 3, 4))
    expected = numpy_softmax(x, axis)
    np.testing.assert_allclose(ops.softmax(x, axis=axis).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(ops.log_softmax(x, axis=axis).numpy(), np.log(expected), rtol=1e-12)
    check_gradients(lambda t: ops.softmax(t, axis=axis), [x])
    check_gradients(lambda t: ops.log_softmax(t, axis=axis), [x])


def test_softmax_and_log_softmax_with_huge_logits_do_not_overflow():
    logits = ops.convert_to_tensor([[1000.0, 0.0, -1000.0], [50.0, 50.0, 50.0]], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        with GradientTape() as tape:
            tape.watch(logits)
            probabilities = ops.softmax(logits)
            log_probabilities = ops.log_softmax(logits)
            total = ops.sum(probabilities[:, 0]) + ops.sum(log_probabilities[:, 1])
        grad = tape.gradient(total, logits)
    np.testing.assert_allclose(probabilities.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(log_probabilities.numpy()[0], [0.0, -1000.0, -2000.0])
    assert np.all(np.isfinite(grad.numpy()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_softplus_and_friends_at_plus_minus_100(dtype):
    x = ops.convert_to_tensor([-100.0, 100.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with GradientTape(persistent=True) as tape:
            tape.watch(x)
            names = ["sigmoid", "softplus", "log_sigmoid", "silu", "tanh", "elu", "selu", "mish"]
            outputs = {name: getattr(ops, name)(x) for name in names}
        grads = {name: tape.gradient(out, x).numpy() for name, out in outputs.items()}
    tiny = np.exp(-100.0)  # 3.7e-44: a float32 denormal, so compare with an absolute tolerance
    close = {"rtol": 1e-5, "atol": 1e-42}
    np.testing.assert_allclose(outputs["sigmoid"].numpy(), [tiny, 1.0], **close)
    np.testing.assert_allclose(outputs["softplus"].numpy(), [tiny, 100.0], **close)
    np.testing.assert_allclose(outputs["log_sigmoid"].numpy(), [-100.0, -tiny], **close)
    np.testing.assert_allclose(grads["sigmoid"], [tiny, tiny], **close)
    np.testing.assert_allclose(grads["softplus"], [tiny, 1.0], **close)
    np.testing.assert_allclose(grads["log_sigmoid"], [1.0, tiny], **close)
    for name, out in outputs.items():
        assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(grads[name])), name


def test_relu_gradient_at_zero_is_zero_and_relu6_caps():
    x = ops.convert_to_tensor([-1.0, 0.0, 3.0, 6.0, 7.0])
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        relu, relu6 = ops.relu(x), ops.relu6(x)
    assert tape.gradient(relu, x).numpy().tolist() == [0, 0, 1, 1, 1]
    assert relu6.numpy().tolist() == [0, 0, 3, 6, 6]
    assert tape.gradient(relu6, x).numpy().tolist() == [0, 0, 1, 0, 0]


def test_gelu_defaults_match_keras_documented_values():
    # The documented values were printed in float32: they are good to about 2e-7.
    x = ops.convert_to_tensor([-3.0, -1.0, 0.0, 1.0, 3.0])
    np.testing.assert_allclose(
        ops.gelu(x).numpy(), [-0.00363752, -0.15880796, 0.0, 0.841192, 2.9963627], rtol=1e-5, atol=3e-7
    )
    np.testing.assert_allclose(
        ops.gelu(x, approximate=False).numpy(), [-0.00404951, -0.15865529, 0.0, 0.8413447, 2.9959507], rtol=1e-5, atol=3e-7
    )


def test_swish_and_hard_swish_are_aliases():
    assert ops.swish is ops.silu and ops.hard_swish is ops.hard_silu


def test_moments(rng):
    x = rng.normal(size=(4, 3, 2))
    mean, variance = ops.moments(x, axes=[0, 1])
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 1)))
    np.testing.assert_allclose(variance.numpy(), x.var(axis=(0, 1)))
    mean, variance = ops.moments(x, axes=[-1], keepdims=True)
    assert mean.shape == variance.shape == (4, 3, 1)
    check_gradients(lambda t: list(ops.moments(t, axes=[0])), [x])
    keras_example = ops.moments(ops.convert_to_tensor([0.0, 1, 2, 3, 100]), axes=[0])
    np.testing.assert_allclose([float(v) for v in keras_example], [21.2, 1553.36], rtol=1e-6)


@pytest.mark.parametrize("function", [ops.softmax, ops.log_softmax])
def test_softmax_on_a_missing_axis_names_the_function_and_the_axes(function):
    with pytest.raises(np.exceptions.AxisError) as caught:
        function(ops.ones((2, 3)), axis=4)
    message = str(caught.value)
    assert message.startswith(f"{function.__name__}: axis=4 does not exist in an input of shape (2, 3)")
    assert "between -2 and 1" in message
    assert isinstance(caught.value, (ValueError, IndexError))  # as NumPy's own error
