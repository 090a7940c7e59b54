"""mlkit/ops/autodiff.py: GradientTape, stop_gradient and custom_gradient."""

import numpy as np
import pytest

from mlkit import GradientTape, Variable, layers, ops
from mlkit.ops.autodiff import unbroadcast
from mlkit.utils.gradient_check import check_gradients


def test_gradient_with_respect_to_variables_is_automatic():
    w = Variable([1.0, 2.0])
    b = Variable(0.5)
    with GradientTape() as tape:
        loss = ops.sum(w * w) + 3.0 * b
    grad_w, grad_b = tape.gradient(loss, [w, b])
    assert grad_w.numpy().tolist() == [2.0, 4.0]
    assert float(grad_b) == 3.0
    assert grad_w.dtype == "float32"


def test_plain_tensors_need_watch():
    x = ops.convert_to_tensor([1.0, 2.0])
    with GradientTape() as tape:
        y = ops.sum(x * x)
    assert tape.gradient(y, x) is None
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * x)
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0]


def test_unconnected_and_non_trainable_sources_get_none():
    used, unused = Variable([1.0]), Variable([2.0])
    frozen = Variable([3.0], trainable=False)
    with GradientTape() as tape:
        loss = ops.sum(used * frozen)
    grads = tape.gradient(loss, [used, unused, frozen])
    assert grads[0].numpy().tolist() == [3.0]
    assert grads[1] is None and grads[2] is None


def test_a_tape_answers_once_unless_persistent():
    w = Variable(3.0)
    with GradientTape() as tape:
        y = w * w
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, w)
    with GradientTape(persistent=True) as tape:
        y, z = w * w, w * w * w
    assert float(tape.gradient(y, w)) == 6.0
    assert float(tape.gradient(z, w)) == 27.0
    assert float(tape.gradient(y, w)) == 6.0


def test_nested_tapes_each_give_their_gradients():
    w = Variable(2.0)
    with GradientTape() as outer:
        a = w * w
        with GradientTape() as inner:
            b = a * w
        inner_grad = inner.gradient(b, w)
        c = b + a
    assert float(inner_grad) == 4.0  # only the part recorded inside the inner tape: d(a*w)/dw with a fixed
    assert float(outer.gradient(c, w)) == 3 * 4.0 + 2 * 2.0  # d(w^3 + w^2)/dw


def test_nothing_is_recorded_outside_a_tape():
    w = Variable([1.0, 2.0])
    y = ops.sum(w * w)
    assert y.parents == () and y.grad_fn is None
    with GradientTape() as tape:
        with tape.stop_recording():
            z = w * 2.0
        assert z.parents == ()
        y = ops.sum(w * 2.0)
    assert y.parents != ()


def test_stop_gradient_blocks_the_gradient():
    w = Variable([1.0, 2.0])
    with GradientTape() as tape:
        y = ops.sum(w * ops.stop_gradient(w))
    assert tape.gradient(y, w).numpy().tolist() == [1.0, 2.0]  # d(w * const)/dw
    assert ops.stop_gradient([1.0]).numpy().tolist() == [1.0]


def test_output_gradients_and_list_targets():
    w = Variable([1.0, 2.0])
    with GradientTape(persistent=True) as tape:
        y = w * w
        z = 3.0 * w
    assert tape.gradient(y, w, output_gradients=np.array([1.0, 10.0])).numpy().tolist() == [2.0, 40.0]
    assert tape.gradient([y, z], w).numpy().tolist() == [5.0, 7.0]


def test_watch_explains_a_wrong_argument():
    with GradientTape() as tape:
        with pytest.raises(TypeError, match="watch expects mlkit tensors, got list.*convert_to_tensor"):
            tape.watch([[1.0, 2.0]])
    with pytest.raises(TypeError, match="every source must be an mlkit Variable or tensor, got ndarray"):
        tape.gradient(ops.ones(()), [np.ones(2)])


def test_unbroadcast_sums_over_broadcast_axes():
    grad = np.ones((5, 3, 4))
    assert unbroadcast(grad, (3, 4)).tolist() == np.full((3, 4), 5.0).tolist()
    assert unbroadcast(grad, (3, 1)).tolist() == np.full((3, 1), 20.0).tolist()
    assert unbroadcast(grad, ()) == 60.0
    assert unbroadcast(grad, (5, 3, 4)) is grad


# -- custom_gradient ----------------------------------------------------------
@ops.custom_gradient
def custom_activation(x):
    """The example of the course's source material, with `ops` for its module."""
    y = ops.tanh(x)

    def grad(dy):
        return dy * (1 - y**2)

    return y, grad


@ops.custom_gradient
def log1pexp(x):
    """Keras's documented form of the gradient function."""
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

    return ops.log(1 + e), grad


@ops.custom_gradient
def upstream_only(x):
    def grad(*args, upstream=None):
        return upstream * 2.0

    return x * 1.0, grad


@ops.custom_gradient
def wrong_on_purpose(x):
    def grad(dy):
        return dy * 100.0  # not the derivative of tanh: must show up as is

    return ops.tanh(x), grad


def test_the_seed_custom_activation_works_as_written(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(custom_activation(x).numpy(), np.tanh(x))
    check_gradients(custom_activation, [x])


def test_the_seed_custom_activation_inside_a_custom_layer():
    class CustomActivationLayer(layers.Layer):
        def call(self, inputs):
            return custom_activation(inputs)

    w = Variable([[0.5, -1.0]])
    with GradientTape() as tape:
        out = CustomActivationLayer()(w * 2.0)
        loss = ops.sum(out)
    expected = 2.0 * (1 - np.tanh(np.array([[1.0, -2.0]])) ** 2)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), expected, rtol=1e-6)


def test_keras_style_gradient_functions(rng):
    x = rng.normal(size=(5,))
    np.testing.assert_allclose(log1pexp(x).numpy(), np.log1p(np.exp(x)))
    check_gradients(log1pexp, [x])
    t = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        y = ops.sum(upstream_only(t))
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), np.full(5, 2.0))


def test_the_custom_rule_is_really_used():
    x = ops.convert_to_tensor(np.array([0.3, -0.2]))
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(wrong_on_purpose(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [100.0, 100.0])
    np.testing.assert_allclose(wrong_on_purpose(x).numpy(), np.tanh([0.3, -0.2]))


def test_custom_gradient_with_two_inputs_and_broadcasting(rng):
    @ops.custom_gradient
    def scaled(x, scale):
        def grad(dy):
            return dy * scale, ops.sum(dy * x, axis=0)

        return x * scale, grad

    check_gradients(scaled, [rng.normal(size=(4, 3)), rng.normal(size=(3,))])


def test_custom_gradient_must_return_one_gradient_per_input():
    @ops.custom_gradient
    def two_inputs(x, y):
        def grad(dy):
            return dy  # one gradient for two inputs

        return x * y, grad

    x = ops.convert_to_tensor([1.0])
    with GradientTape() as tape:
        tape.watch(x)
        out = two_inputs(x, x)
    with pytest.raises(ValueError, match="returned 1 gradients for 2 inputs"):
        tape.gradient(out, x)


def test_custom_gradient_outside_a_tape_records_nothing():
    out = custom_activation(ops.convert_to_tensor([0.5]))
    assert out.parents == ()


# -- torch's idiom: loss.backward() and variable.value.grad ---------------------
def test_backward_fills_the_same_gradients_as_the_tape():
    w = Variable([[1.0, -2.0], [0.5, 3.0]])
    b = Variable([0.25, -0.75])
    x = ops.convert_to_tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    with GradientTape() as tape:
        loss = ops.mean(ops.tanh(ops.matmul(x, w) + b) ** 2)
    expected_w, expected_b = tape.gradient(loss, [w, b])
    with ops.enable_grad():
        loss = ops.mean(ops.tanh(ops.matmul(x, w) + b) ** 2)
    assert w.grad is None
    loss.backward()
    np.testing.assert_allclose(w.value.grad.numpy(), expected_w.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.value.grad.numpy(), expected_b.numpy(), rtol=1e-6)


def test_backward_adds_to_earlier_gradients_until_cleared():
    w = Variable([1.0, 2.0])
    for _ in range(2):
        with ops.enable_grad():
            loss = ops.sum(w * w)
        loss.backward()
    assert w.grad.numpy().tolist() == [4.0, 8.0]  # 2 * (2w)
    w.grad = None
    with ops.enable_grad():
        ops.sum(3.0 * w).backward()
    assert w.grad.numpy().tolist() == [3.0, 3.0]


def test_backward_reaches_a_variable_used_twice_and_skips_frozen_ones():
    w = Variable([2.0])
    frozen = Variable([5.0], trainable=False)
    with ops.enable_grad():
        loss = ops.sum(w * w * w + frozen * w)
    loss.backward()
    assert w.grad.numpy().tolist() == [3 * 4.0 + 5.0]
    assert frozen.grad is None


def test_backward_without_recording_says_where_to_compute_the_loss():
    w = Variable([1.0])
    with pytest.raises(RuntimeError, match="train_step"):
        ops.sum(w * w).backward()
    with ops.enable_grad():
        with ops.no_grad():
            loss = ops.sum(w * w)
    with pytest.raises(RuntimeError, match="no_grad"):
        loss.backward()


def test_backward_needs_a_scalar():
    w = Variable([1.0, 2.0])
    with ops.enable_grad():
        values = w * w
    with pytest.raises(RuntimeError, match="scalar"):
        values.backward()


def test_numpy_converts_a_zero_dimensional_tensor():
    loss = ops.mean(ops.convert_to_tensor([1.0, 2.0]))  # .data is a NumPy scalar
    as_array = np.asarray(loss)
    assert isinstance(as_array, np.ndarray) and as_array.shape == () and float(as_array) == 1.5
    assert np.allclose(loss, 1.5)
    assert np.asarray(loss, dtype="float64").dtype == np.float64
    copied = np.array(ops.convert_to_tensor([1.0]), copy=True)
    assert copied.tolist() == [1.0]
