"""BatchNormalization (mlkit/layers/normalization/batch_normalization.py) and
the fused `standardize` op it trains with (standardize_op.py).

Every expectation is computed here from the formulas, with NumPy:

    training:  gamma * (x - batch_mean) / sqrt(batch_variance + epsilon) + beta
    inference: gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
    moving = moving * momentum + batch_statistic * (1 - momentum)
"""

import json
import warnings

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops, regularizers
from mlkit.layers.normalization.standardize_op import standardize
from mlkit.utils.gradient_check import check_gradients

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def same_random_numbers_in_every_test():
    """Each test draws from a fresh generator: results do not depend on test order."""
    global RNG
    RNG = np.random.default_rng(7)


def random_inputs(shape, dtype="float64", loc=3.0, scale=2.0):
    return RNG.normal(loc, scale, size=shape).astype(dtype)


def channel_shape(shape, axis):
    """Where a per-channel vector must sit to broadcast against `shape`."""
    out = [1] * len(shape)
    out[axis] = shape[axis]
    return tuple(out)


def reference(x, axis, mean, variance, gamma, beta, epsilon=1e-3):
    """The batch-norm formula in NumPy, per channel along `axis`."""
    shape = channel_shape(x.shape, axis)
    mean, variance = np.reshape(mean, shape), np.reshape(variance, shape)
    gamma, beta = np.reshape(gamma, shape), np.reshape(beta, shape)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def batch_statistics(x, axis):
    others = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return x.mean(axis=others), x.var(axis=others)  # np.var is the biased variance


def built_layer(shape, dtype="float64", randomize=True, **kwargs):
    """A built layer whose four weights hold distinct, recognizable values."""
    layer = layers.BatchNormalization(dtype=dtype, **kwargs)
    layer.build((None,) + tuple(shape[1:]))
    if randomize:
        values = []
        for weight in layer.weights:
            if weight.name == "moving_variance":
                values.append(RNG.uniform(0.5, 2.0, size=weight.shape))
            else:
                values.append(RNG.normal(size=weight.shape))
        layer.set_weights(values)
    return layer


# -- Keras 3 surface: arguments, weights, config ------------------------------
def test_defaults_match_keras():
    layer = layers.BatchNormalization()
    assert (layer.axis, layer.momentum, layer.epsilon) == (-1, 0.99, 0.001)
    assert (layer.center, layer.scale, layer.synchronized) == (True, True, False)
    config = layer.get_config()
    assert config["beta_initializer"]["class_name"] == "Zeros"
    assert config["gamma_initializer"]["class_name"] == "Ones"
    assert config["moving_mean_initializer"]["class_name"] == "Zeros"
    assert config["moving_variance_initializer"]["class_name"] == "Ones"


def test_weights_names_order_and_trainability():
    layer = layers.BatchNormalization()
    layer(np.ones((2, 5), "float32"))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.path for w in layer.weights][0] == f"{layer.name}/gamma"
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean, layer.moving_variance]
    assert all(w.shape == (5,) for w in layer.weights)
    weights = layer.get_weights()
    np.testing.assert_array_equal(np.stack(weights), [[1] * 5, [0] * 5, [0] * 5, [1] * 5])
    assert layer.count_params() == 20


@pytest.mark.parametrize(
    "center, scale, names",
    [
        (False, True, ["gamma", "moving_mean", "moving_variance"]),
        (True, False, ["beta", "moving_mean", "moving_variance"]),
        (False, False, ["moving_mean", "moving_variance"]),
    ],
)
def test_center_and_scale_switch_weights_off(center, scale, names):
    layer = layers.BatchNormalization(center=center, scale=scale)
    layer(np.ones((2, 3), "float32"))
    assert [w.name for w in layer.weights] == names


def test_channels_first_weights_follow_axis_1():
    layer = layers.BatchNormalization(axis=1)
    layer(np.ones((2, 3, 4, 5), "float32"))
    assert all(w.shape == (3,) for w in layer.weights)


def test_get_config_keys_and_round_trip():
    layer = layers.BatchNormalization(
        axis=1, momentum=0.9, epsilon=1e-5, center=False,
        gamma_initializer="random_normal", gamma_regularizer=regularizers.L2(0.01), name="bn",
    )
    config = layer.get_config()
    assert set(config) == {
        "name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
        "beta_initializer", "gamma_initializer", "moving_mean_initializer",
        "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
        "beta_constraint", "gamma_constraint", "synchronized",
    }
    json.dumps(config)  # a config must be JSON-able
    clone = layers.BatchNormalization.from_config(config)
    assert clone.get_config() == config
    assert (clone.axis, clone.momentum, clone.epsilon, clone.center) == (1, 0.9, 1e-5, False)
    clone(np.ones((2, 3, 4), "float32"))
    assert [w.name for w in clone.weights] == ["gamma", "moving_mean", "moving_variance"]


def test_compute_output_shape_is_the_input_shape():
    layer = layers.BatchNormalization(axis=1)
    assert layer.compute_output_shape((None, 3, 8, 8)) == (None, 3, 8, 8)
    with pytest.raises(ValueError, match="out of range"):
        layer.compute_output_shape((None,))


# -- what the layer computes ----------------------------------------------------
@pytest.mark.parametrize("shape, axis", [((32, 5), -1), ((6, 4, 4, 3), -1), ((6, 3, 4, 4), 1)])
def test_training_mode_normalizes_with_batch_statistics(shape, axis):
    layer = built_layer(shape, axis=axis)
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    x = random_inputs(shape)
    outputs = layer(x, training=True).numpy()

    mean, variance = batch_statistics(x, axis)
    np.testing.assert_allclose(outputs, reference(x, axis, mean, variance, gamma, beta), rtol=1e-12)
    # Per channel the output now has mean beta and standard deviation |gamma|
    # (slightly less: epsilon is added to the variance).
    out_mean, out_variance = batch_statistics(outputs, axis)
    np.testing.assert_allclose(out_mean, beta, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(out_variance), np.abs(gamma) * np.sqrt(variance / (variance + 1e-3)))


@pytest.mark.parametrize("shape, axis", [((8, 5), -1), ((2, 3, 4, 4), 1)])
@pytest.mark.parametrize("training", [False, None])
def test_inference_mode_uses_moving_statistics(shape, axis, training):
    layer = built_layer(shape, axis=axis)
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    x = random_inputs(shape)
    outputs = layer(x, training=training).numpy()
    expected = reference(x, axis, moving_mean, moving_variance, gamma, beta)
    np.testing.assert_allclose(outputs, expected, rtol=1e-12)
    # One example alone gets the same answer as inside its batch.
    np.testing.assert_allclose(layer(x[:1], training=training).numpy(), expected[:1], rtol=1e-12)


def test_moving_averages_after_k_steps_follow_the_closed_form():
    momentum, steps = 0.9, 5
    layer = built_layer((16, 3, 2, 2), axis=1, momentum=momentum)
    start_mean, start_variance = layer.moving_mean.numpy(), layer.moving_variance.numpy()
    batches = [random_inputs((16, 3, 2, 2), loc=float(k)) for k in range(steps)]
    for batch in batches:
        layer(batch, training=True)

    # After k updates m_k = momentum^k m_0 + (1 - momentum) sum_j momentum^(k-j) s_j,
    # where s_j is the statistic of batch j (j = 1..k).
    stats = np.array([batch_statistics(batch, axis=1) for batch in batches])  # (k, 2, channels)
    weights = (1 - momentum) * momentum ** np.arange(steps - 1, -1, -1)
    expected_mean = momentum**steps * start_mean + weights @ stats[:, 0]
    expected_variance = momentum**steps * start_variance + weights @ stats[:, 1]
    np.testing.assert_allclose(layer.moving_mean.numpy(), expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), expected_variance, rtol=1e-12)


def test_moving_variance_is_the_biased_batch_variance():
    layer = layers.BatchNormalization(momentum=0.0, dtype="float64")  # moving = last batch
    layer(np.array([[1.0], [3.0]]), training=True)
    assert layer.moving_mean.numpy().tolist() == [2.0]
    assert layer.moving_variance.numpy().tolist() == [1.0]  # ((1-2)^2 + (3-2)^2) / 2, not / 1


@pytest.mark.parametrize("training", [False, None])
def test_inference_does_not_touch_moving_statistics(training):
    layer = built_layer((8, 3))
    before = layer.get_weights()
    layer(random_inputs((8, 3)), training=training)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_frozen_layer_runs_in_inference_mode_even_with_training_true():
    # Keras's fine-tuning rule: trainable=False means inference mode, always.
    layer = built_layer((8, 3))
    before = layer.get_weights()
    layer.trainable = False
    x = random_inputs((8, 3))
    outputs = layer(x, training=True).numpy()
    gamma, beta, moving_mean, moving_variance = before
    np.testing.assert_allclose(outputs, reference(x, -1, moving_mean, moving_variance, gamma, beta), rtol=1e-12)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == layer.weights
    # Unfrozen again, training=True goes back to batch statistics and updates.
    layer.trainable = True
    layer(x, training=True)
    assert not np.array_equal(layer.moving_mean.numpy(), moving_mean)


def test_training_flag_reaches_a_nested_batch_normalization():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__(dtype="float64")
            self.dense = layers.Dense(3, dtype="float64")
            self.norm = layers.BatchNormalization(momentum=0.0, dtype="float64")

        def call(self, inputs):
            return self.norm(self.dense(inputs))  # no training argument passed on

    block = Block()
    x = random_inputs((10, 4))
    block(x)  # inference: moving statistics untouched
    np.testing.assert_array_equal(block.norm.moving_mean.numpy(), np.zeros(3))
    block(x, training=True)
    hidden = block.dense(x).numpy()
    np.testing.assert_allclose(block.norm.moving_mean.numpy(), hidden.mean(axis=0), rtol=1e-12)


def test_gamma_regularizer_adds_a_loss():
    layer = layers.BatchNormalization(gamma_regularizer=regularizers.L2(0.5), dtype="float64")
    layer(np.ones((2, 3)))
    layer.gamma.assign([1.0, 2.0, 3.0])
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 14.0)


# -- dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype):
    layer = layers.BatchNormalization(dtype=dtype)
    x = random_inputs((4, 3), dtype=dtype)
    assert layer(x, training=True).dtype == dtype
    assert layer(x).dtype == dtype
    assert all(w.dtype == dtype for w in layer.weights)


def test_mixed_float16_computes_statistics_in_float32():
    layer = layers.BatchNormalization(dtype="mixed_float16")
    x = np.array([[300.0], [500.0]], "float32")  # squares beyond float16's max, 65504
    outputs = layer(x, training=True)
    assert outputs.dtype == "float16"
    assert layer.moving_variance.dtype == "float32"
    np.testing.assert_allclose(outputs.numpy().ravel(), [-1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(layer.moving_variance.numpy(), [0.99 + 0.01 * 10000.0], rtol=1e-6)


# -- gradients (float64, against finite differences) ----------------------------
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape, axis", [((5, 4), -1), ((3, 2, 3, 4), -1), ((3, 4, 2, 3), 1)])
def test_gradients_wrt_inputs_gamma_beta(shape, axis, training):
    layer = built_layer(shape, axis=axis)
    x = random_inputs(shape)
    check_gradients(lambda t: layer(t, training=training), [x, layer.gamma, layer.beta])


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("center, scale", [(False, True), (True, False), (False, False)])
def test_gradients_with_center_or_scale_off(center, scale, training):
    shape = (3, 3, 2, 2)
    layer = built_layer(shape, axis=1, center=center, scale=scale)
    sources = [random_inputs(shape)] + layer.trainable_weights
    check_gradients(lambda t: layer(t, training=training), sources)


def test_frozen_layer_gives_gradients_to_inputs_only():
    layer = built_layer((4, 3))
    layer.trainable = False
    x = mlkit.ops.convert_to_tensor(random_inputs((4, 3)))
    with mlkit.GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(layer(x, training=True))
    grad_x, grad_gamma = tape.gradient(loss, [x, layer.gamma])
    assert grad_gamma is None
    # Inference mode is affine: d sum / dx = gamma / sqrt(moving_variance + epsilon).
    expected = layer.gamma.numpy() / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(grad_x.numpy(), np.broadcast_to(expected, (4, 3)), rtol=1e-12)


def test_standardize_op_matches_the_op_by_op_formula_and_its_gradients():
    """The fused op against the same formula written with ops, values and gradients."""
    x = random_inputs((6, 5, 3))
    gamma, beta = mlkit.Variable(RNG.normal(size=(5, 1))), mlkit.Variable(RNG.normal(size=(5, 1)))
    axes = (0, 2)

    def by_ops(t):
        mean = ops.mean(t, axis=axes, keepdims=True)
        variance = ops.mean(ops.square(t - mean), axis=axes, keepdims=True)
        return (t - mean) / ops.sqrt(variance + 1e-3) * gamma + beta

    upstream = RNG.normal(size=x.shape)
    results = []
    for function in (lambda t: standardize(t, axes, gamma, beta, 1e-3)[0], by_ops):
        t = ops.convert_to_tensor(x)
        with mlkit.GradientTape() as tape:
            tape.watch(t)
            out = function(t)
        grads = tape.gradient(out, [t, gamma, beta], output_gradients=upstream)
        results.append([out.numpy()] + [g.numpy() for g in grads])
    for fused, reference_value in zip(*results):
        np.testing.assert_allclose(fused, reference_value, rtol=1e-10, atol=1e-12)
    check_gradients(lambda t: standardize(t, axes, gamma, beta, 1e-3)[0], [x, gamma, beta])


def test_mlkit_extension_list_axis():
    layer = built_layer((4, 3, 2), axis=[1, 2])
    assert layer.moving_mean.shape == (3, 2)
    x = random_inputs((4, 3, 2))
    outputs = layer(x, training=True).numpy()
    mean, variance = x.mean(axis=0), x.var(axis=0)
    expected = layer.gamma.numpy() * (x - mean) / np.sqrt(variance + 1e-3) + layer.beta.numpy()
    np.testing.assert_allclose(outputs, expected, rtol=1e-12)
    check_gradients(lambda t: layer(t, training=True), [x, layer.gamma, layer.beta])


# -- a learner's training loop ----------------------------------------------------
def test_dense_batchnorm_relu_stack_learns_a_regression_with_gradient_descent():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype("float32")
    y = (np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3] + 3.0).astype("float32")
    mlkit.utils.set_random_seed(0)
    hidden = layers.Dense(32)
    norm = layers.BatchNormalization(momentum=0.9)
    output = layers.Dense(1)

    def predict(inputs, training):
        return output(ops.relu(norm(hidden(inputs), training=training)))

    def mse(predictions):
        return ops.mean(ops.square(predictions - y))

    first_loss = float(mse(predict(x, training=True)))
    variables = hidden.trainable_weights + norm.trainable_weights + output.trainable_weights
    assert len(variables) == 6  # the moving statistics are not among them
    learning_rate = 0.05
    for _ in range(300):
        with mlkit.GradientTape() as tape:
            loss = mse(predict(x, training=True))
        for variable, grad in zip(variables, tape.gradient(loss, variables)):
            variable.assign_sub(learning_rate * grad)
    final_loss = float(mse(predict(x, training=True)))
    assert final_loss < first_loss / 10, (first_loss, final_loss)
    # The moving statistics tracked the (full) batch, so inference agrees too.
    assert float(mse(predict(x, training=False))) < first_loss / 10


def test_gradients_of_a_whole_dense_batchnorm_relu_stack():
    """End to end: every weight's gradient through the training-mode stack.

    (A loss that falls is not proof on its own: a backward pass that drops a
    term of the closed form still trains this toy problem. This check is.)
    """
    hidden = layers.Dense(4, dtype="float64")
    norm = layers.BatchNormalization(dtype="float64")
    output = layers.Dense(1, dtype="float64")
    x = random_inputs((6, 3))
    y = random_inputs((6, 1))

    def loss(inputs):
        predictions = output(ops.relu(norm(hidden(inputs), training=True)))
        return ops.mean(ops.square(predictions - y))

    loss(x)  # build
    norm.beta.assign(RNG.normal(size=4))  # keep the relu away from its kink at 0
    variables = hidden.trainable_weights + norm.trainable_weights + output.trainable_weights
    check_gradients(loss, [x] + variables)


# -- errors that explain themselves -------------------------------------------------
def test_axis_out_of_range_names_the_layer():
    layer = layers.BatchNormalization(axis=3, name="norm")
    with pytest.raises(ValueError, match=r"BatchNormalization 'norm'.*axis=3.*rank 2"):
        layer(np.ones((2, 4), "float32"))


def test_axis_must_be_an_int():
    with pytest.raises(TypeError, match="BatchNormalization.*axis"):
        layers.BatchNormalization(axis="channels")


def test_input_of_another_rank_or_width_after_build():
    layer = layers.BatchNormalization(name="norm")
    layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match=r'"norm".*expected ndim=2'):
        layer(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r'"norm".*axis -1.*value 4'):
        layer(np.ones((2, 5), "float32"))


def test_synchronized_is_refused_like_keras_off_tensorflow():
    with pytest.raises(ValueError, match="synchronized"):
        layers.BatchNormalization(synchronized=True)


def test_no_warnings_in_a_plain_training_call():
    layer = layers.BatchNormalization()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer(np.ones((1, 3), "float32"), training=True)  # one example: variance 0, still finite
