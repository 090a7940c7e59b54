"""The steps of a traced program compute what the eager layers and losses compute."""

import numpy as np
import pytest

import mlkit
from mlkit import layers
from mlkit.models.traced_kernels import (
    CallStep,
    ConvStep,
    DenseStep,
    LossStep,
    MeanSquaredErrorStep,
    SparseCrossentropyFromLogitsStep,
    loss_step,
)
from mlkit.models.traced_step import call_arguments


def eager_gradients(layer, x, upstream):
    """Output, input gradient and variable gradients of an ordinary layer call."""
    inputs = mlkit.ops.convert_to_tensor(x)
    with mlkit.GradientTape() as tape:
        tape.watch(inputs)
        outputs = layer(inputs, training=True)
        objective = mlkit.ops.sum(outputs * upstream)
    grads = tape.gradient(objective, [inputs, *layer.trainable_variables])
    return outputs.numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid", "softmax"])
@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 4)])
def test_dense_step_equals_the_dense_layer(activation, shape):
    rng = np.random.default_rng(0)
    layer = layers.Dense(3, activation=activation, bias_initializer="glorot_uniform")
    x = rng.normal(size=shape).astype(np.float32)
    upstream = rng.normal(size=shape[:-1] + (3,)).astype(np.float32)
    outputs, (input_grad, kernel_grad, bias_grad) = eager_gradients(layer, x, upstream)

    step = DenseStep(layer, layer.trainable_variables, input_gradient=True)
    for _ in range(2):  # the second pass reuses the buffers of the first
        np.testing.assert_allclose(step.forward(x), outputs, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(step.backward(upstream.copy()), input_grad, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(step.gradients[0], kernel_grad, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(step.gradients[1], bias_grad, rtol=1e-5, atol=1e-6)


def test_dense_step_skips_what_is_not_trained():
    layer = layers.Dense(2)
    layer.build((None, 3))
    step = DenseStep(layer, [layer.bias], input_gradient=False)  # kernel frozen, first layer
    assert step.variables == [layer.bias]
    x = np.ones((4, 3), np.float32)
    step.forward(x)
    assert step.backward(np.ones((4, 2), np.float32)) is None
    np.testing.assert_array_equal(step.gradients[0], [4.0, 4.0])


@pytest.mark.parametrize("make_layer, shape", [
    (lambda: layers.Conv2D(4, 3, padding="same", activation="relu"), (2, 6, 6, 2)),
    (lambda: layers.Conv2D(3, (2, 3), strides=2, padding="valid", activation="tanh"), (3, 7, 8, 2)),
    (lambda: layers.Conv2D(2, 3, dilation_rate=2, padding="same", use_bias=False), (2, 7, 7, 3)),
    (lambda: layers.Conv1D(5, 3, strides=2, padding="same", activation="sigmoid"), (4, 9, 2)),
])
def test_conv_step_equals_the_conv_layer(make_layer, shape):
    rng = np.random.default_rng(1)
    layer = make_layer()
    x = rng.normal(size=shape).astype(np.float32)
    outputs = layer(x)
    upstream = rng.normal(size=outputs.shape).astype(np.float32)
    outputs, (input_grad, *variable_grads) = eager_gradients(layer, x, upstream)

    step = ConvStep(layer, layer.trainable_variables, input_gradient=True)
    for _ in range(2):  # the second pass reuses the buffers of the first
        np.testing.assert_allclose(step.forward(x), outputs, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(step.backward(upstream.copy()), input_grad, rtol=1e-5, atol=1e-5)
        for got, expected in zip(step.gradients, variable_grads, strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    if layer.padding == "same" and x.ndim == 4:
        np.testing.assert_array_equal(step.padded[:, 0], 0)  # the padding row is never written


@pytest.mark.parametrize("make_layer, shape", [
    (lambda: layers.Conv2D(4, 3, padding="same", activation="relu"), (2, 6, 6, 2)),
    (lambda: layers.MaxPooling2D(), (2, 4, 4, 3)),
    (lambda: layers.LSTM(5, return_sequences=True), (3, 4, 2)),
    (lambda: layers.BatchNormalization(), (6, 3)),
])
def test_call_step_equals_the_layer(make_layer, shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype(np.float32)
    eager_layer, traced_layer = make_layer(), make_layer()
    eager_layer.build(shape)
    traced_layer.build(shape)
    traced_layer.set_weights(eager_layer.get_weights())
    upstream = rng.normal(size=eager_layer.compute_output_shape(shape)).astype(np.float32)
    outputs, (input_grad, *variable_grads) = eager_gradients(eager_layer, x, upstream)

    arguments = call_arguments(traced_layer)
    step = CallStep(traced_layer, traced_layer.trainable_variables, arguments, input_gradient=True)
    np.testing.assert_allclose(step.forward(x), outputs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(step.backward(upstream), input_grad, rtol=1e-5, atol=1e-6)
    for got, expected in zip(step.gradients, variable_grads, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def eager_loss(loss, y_true, y_pred):
    predictions = mlkit.ops.convert_to_tensor(y_pred)
    with mlkit.GradientTape() as tape:
        tape.watch(predictions)
        value = loss(y_true, predictions)
    return float(value), tape.gradient(value, predictions).numpy()


@pytest.mark.parametrize("loss, y_true, y_pred, kind", [
    (mlkit.losses.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 2, 1, 2]),
     np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32), SparseCrossentropyFromLogitsStep),
    (mlkit.losses.SparseCategoricalCrossentropy(from_logits=True), np.array([[0], [2], [1]]),
     np.random.default_rng(3).normal(size=(3, 3)).astype(np.float32), SparseCrossentropyFromLogitsStep),
    (mlkit.losses.MeanSquaredError(), np.ones((4, 2), np.float32),
     np.random.default_rng(4).normal(size=(4, 2)).astype(np.float32), MeanSquaredErrorStep),
    ("mse", np.ones((4, 2), np.float32),
     np.random.default_rng(5).normal(size=(4, 2)).astype(np.float32), MeanSquaredErrorStep),
    ("sparse_categorical_crossentropy", np.array([1, 0]),
     np.array([[0.2, 0.8], [0.6, 0.4]], np.float32), LossStep),
    (mlkit.losses.MeanAbsoluteError(), np.zeros((3, 2), np.float32),
     np.random.default_rng(6).normal(size=(3, 2)).astype(np.float32), LossStep),
])
def test_loss_steps_equal_the_eager_loss(loss, y_true, y_pred, kind):
    loss = mlkit.losses.resolve_loss(loss, y_true, y_pred) if isinstance(loss, str) else loss
    step = loss_step(loss, y_pred.shape, y_true.shape)
    assert type(step) is kind
    value, grad = eager_loss(loss, y_true, y_pred)
    assert step.accepts(y_true)
    np.testing.assert_allclose(float(step.forward(y_true, y_pred)), value, rtol=1e-6)
    np.testing.assert_allclose(step.backward(), grad, rtol=1e-5, atol=1e-7)


def test_the_crossentropy_step_declines_labels_the_eager_loss_must_explain():
    step = SparseCrossentropyFromLogitsStep(mlkit.losses.SparseCategoricalCrossentropy(from_logits=True), 3)
    for labels in (np.array([0, 1, 2]), np.array([2, 0], np.uint8), np.array([1, 9, 2])[::2]):
        assert step.accepts(labels)
    for labels in (np.array([0, 3]), np.array([-1, 0]), np.array([0, -128], np.int8), np.array([0, 1, 9])[::2],
                   np.array([0.0, 1.0]), np.array([], np.int64)):
        assert not step.accepts(labels)
