"""The Layer examples of the course's source articles, run unchanged on mlkit.

Only the imports differ from the articles (`from mlkit import layers, ops`
instead of keras / `K` / a framework alias; `K.dot` becomes `ops.dot`); the
classes and their asserts are as printed, and each test adds checks with
real numbers.
"""

import numpy as np
import pytest

from mlkit import GradientTape, activations, constraints, layers, ops, regularizers
from mlkit.layers import Layer
from mlkit.utils.gradient_check import check_gradients


# -- seed 002 (Layer base class): SimpleDense ------------------------------------
class SimpleDense(Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    # Create the state of the layer (weights)
    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            trainable=True,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer="zeros",
            trainable=True,
            name="bias",
        )

    # Defines the computation
    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias


def test_seed_002_simple_dense():
    # Instantiates the layer.
    linear_layer = SimpleDense(4)
    # This will also call `build(input_shape)` and create the weights.
    y = linear_layer(ops.ones((2, 2)))
    assert len(linear_layer.weights) == 2
    # These weights are trainable, so they're listed in `trainable_weights`:
    assert len(linear_layer.trainable_weights) == 2

    kernel = linear_layer.kernel.numpy()
    assert kernel.shape == (2, 4) and linear_layer.bias.shape == (4,)
    limit = np.sqrt(6 / (2 + 4))  # glorot_uniform
    assert np.all(np.abs(kernel) <= limit) and np.any(kernel != 0)
    np.testing.assert_allclose(y.numpy(), np.ones((2, 2)) @ kernel, rtol=1e-6)
    assert [w.name for w in linear_layer.weights] == ["kernel", "bias"]


# -- seed 002 (Layer base class): ComputeSum, a non-trainable weight ------------
class ComputeSum(Layer):
    def __init__(self, input_dim):
        super(ComputeSum, self).__init__()
        # Create a non-trainable weight.
        self.total = self.add_weight(
            shape=(),
            initializer="zeros",
            trainable=False,
            name="total",
        )

    def call(self, inputs):
        self.total.assign(self.total + ops.sum(inputs))
        return self.total


def test_seed_002_compute_sum():
    my_sum = ComputeSum(2)
    x = ops.ones((2, 2))
    y = my_sum(x)

    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total]
    assert my_sum.trainable_weights == []

    assert float(y) == 4.0
    my_sum(x)
    assert float(my_sum.total) == 8.0  # a running sum, updated by each call


# -- seed 002 (add_loss): MyLayer -------------------------------------------------
class MyLayer(Layer):
    def call(self, x):
        self.add_loss(ops.sum(x))
        return x


def test_seed_002_add_loss():
    layer = MyLayer()
    x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 10.0
    layer(ops.ones((1, 3)))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 3.0  # fresh on each call


# -- seed 003 (custom layers): CustomLayer and MatrixMultiplicationLayer --------
class CustomLayer(layers.Layer):
    def __init__(self, **kwargs):
        super(CustomLayer, self).__init__(**kwargs)
        # 初始化层的参数（如果有）

    def build(self, input_shape):
        # 创建层的权重
        self.kernel = self.add_weight(name='kernel', shape=(input_shape[1],), initializer='uniform', trainable=True)
        super(CustomLayer, self).build(input_shape)

    def call(self, x):
        # 定义前向传播逻辑
        return ops.dot(x, self.kernel)

    def compute_output_shape(self, input_shape):
        # 计算输出形状（如果需要）
        return input_shape

    def get_config(self):
        # 返回层的配置
        base_config = super(CustomLayer, self).get_config()
        return dict(list(base_config.items()))


def test_seed_003_custom_layer():
    layer = CustomLayer(name="custom")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = layer(x)
    kernel = layer.kernel.numpy()
    assert kernel.shape == (3,) and np.all(np.abs(kernel) <= 0.05)  # 'uniform': [-0.05, 0.05]
    np.testing.assert_allclose(y.numpy(), x @ kernel, rtol=1e-6)
    clone = CustomLayer.from_config(layer.get_config())
    assert clone.name == "custom" and not clone.built


class MatrixMultiplicationLayer(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super(MatrixMultiplicationLayer, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        # 初始化权重
        self.kernel = self.add_weight(name='kernel',
                                      shape=(input_shape[1], self.units),
                                      initializer='uniform',
                                      trainable=True)
        super(MatrixMultiplicationLayer, self).build(input_shape)

    def call(self, inputs):
        # 定义前向传播逻辑
        return ops.dot(inputs, self.kernel)

    def compute_output_shape(self, input_shape):
        # 返回输出形状
        return (input_shape[0], self.units)

    def get_config(self):
        # 返回配置字典
        config = super(MatrixMultiplicationLayer, self).get_config()
        config.update({'units': self.units})
        return config


def test_seed_003_matrix_multiplication_layer():
    layer = MatrixMultiplicationLayer(units=64)
    x = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
    y = layer(x)
    assert y.shape == (5, 64) == layer.compute_output_shape((5, 8))
    np.testing.assert_allclose(y.numpy(), x @ layer.kernel.numpy(), rtol=1e-5, atol=1e-6)
    assert layer.built and layer.count_params() == 8 * 64

    config = layer.get_config()
    assert config["units"] == 64 and config["name"] == layer.name
    clone = MatrixMultiplicationLayer.from_config(config)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y.numpy())


# -- seed 003 (Lambda to simplify): Lambda(lambda x: K.relu(x)) ------------------
def test_seed_003_lambda_relu():
    layer = layers.Lambda(lambda x: ops.relu(x))
    out = layer(ops.convert_to_tensor([[-1.0, 0.5, 2.0]]))
    np.testing.assert_array_equal(out.numpy(), [[0.0, 0.5, 2.0]])


# -- seed 004 (Layer abstraction): CustomDense -----------------------------------
class CustomDense(layers.Layer):
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activations.get(activation)

    def build(self, input_shape):
        # 创建权重变量
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer='glorot_uniform',
            trainable=True,
            name='kernel'
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer='zeros',
            trainable=True,
            name='bias'
        )

    def call(self, inputs):
        # 定义前向传播逻辑
        return self.activation(ops.matmul(inputs, self.kernel) + self.bias)


def test_seed_004_custom_dense():
    layer = CustomDense(3, activation="relu")
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    y = layer(x)
    layer.bias.assign([0.5, -0.5, 0.0])
    y = layer(x)
    expected = np.maximum(x @ layer.kernel.numpy() + [0.5, -0.5, 0.0], 0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert [w.shape for w in layer.weights] == [(5, 3), (3,)]

    linear = CustomDense(2)  # activation=None is the identity
    z = linear(x)
    np.testing.assert_allclose(z.numpy(), x @ linear.kernel.numpy(), rtol=1e-5, atol=1e-6)


# -- seed 004: MultiInputLayer ----------------------------------------------------
class MultiInputLayer(layers.Layer):
    def __init__(self):
        super().__init__()

    def build(self, input_shape):
        # 假设输入为两个张量
        shape1, shape2 = input_shape
        self.kernel1 = self.add_weight(
            shape=(shape1[-1], 64),
            initializer='glorot_uniform',
            trainable=True
        )
        self.kernel2 = self.add_weight(
            shape=(shape2[-1], 64),
            initializer='glorot_uniform',
            trainable=True
        )

    def call(self, inputs):
        # inputs 是一个包含两个张量的列表
        input1, input2 = inputs
        return ops.concatenate([
            ops.matmul(input1, self.kernel1),
            ops.matmul(input2, self.kernel2)
        ], axis=-1)


def test_seed_004_multi_input_layer():
    layer = MultiInputLayer()
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 10)).astype("float32")
    b = rng.normal(size=(3, 20)).astype("float32")
    out = layer([a, b])
    assert out.shape == (3, 128)
    assert [w.shape for w in layer.weights] == [(10, 64), (20, 64)]
    assert len({w.name for w in layer.weights}) == 2  # unnamed weights still get distinct names
    np.testing.assert_allclose(out.numpy()[:, :64], a @ layer.kernel1.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.numpy()[:, 64:], b @ layer.kernel2.numpy(), rtol=1e-5, atol=1e-5)


# -- seed 004: DynamicParameterLayer ----------------------------------------------
class DynamicParameterLayer(layers.Layer):
    def __init__(self):
        super().__init__()

    def build(self, input_shape):
        # 创建一个动态参数，形状依赖于输入
        self.dynamic_weight = self.add_weight(
            shape=(input_shape[-1], input_shape[-1]),
            initializer='glorot_uniform',
            trainable=True
        )

    def call(self, inputs):
        # 动态计算，使用输入相关的参数
        return ops.matmul(inputs, self.dynamic_weight)


def test_seed_004_dynamic_parameter_layer():
    for features in (3, 7):
        layer = DynamicParameterLayer()
        x = np.random.default_rng(features).normal(size=(2, features)).astype("float32")
        y = layer(x)
        assert layer.dynamic_weight.shape == (features, features)
        np.testing.assert_allclose(y.numpy(), x @ layer.dynamic_weight.numpy(), rtol=1e-5, atol=1e-6)


# -- seed 004: custom gradient and CustomActivationLayer --------------------------
@ops.custom_gradient
def custom_activation(x):
    # 前向传播
    y = ops.tanh(x)

    # 自定义反向传播
    def grad(dy):
        return dy * (1 - y**2)

    return y, grad


# 在自定义层中使用
class CustomActivationLayer(layers.Layer):
    def call(self, inputs):
        return custom_activation(inputs)


def test_seed_004_custom_gradient_tanh():
    x = np.linspace(-2, 2, 9)
    layer = CustomActivationLayer(dtype="float64")
    np.testing.assert_allclose(layer(x).numpy(), np.tanh(x))
    tensor = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(tensor)
        out = ops.sum(layer(tensor) * ops.convert_to_tensor(np.arange(9.0)))
    np.testing.assert_allclose(tape.gradient(out, tensor).numpy(), np.arange(9.0) * (1 - np.tanh(x) ** 2))
    check_gradients(lambda t: layer(t), [x.reshape(3, 3)])


# -- seed 004: attribute access, regularizer and constraint, freezing ------------
def test_seed_004_dense_attributes_regularizer_and_constraint():
    regularizer = regularizers.l2(0.01)
    constraint = constraints.MaxNorm(max_value=2, axis=0)
    first_layer = layers.Dense(
        64,
        activation='relu',
        kernel_regularizer=regularizer,
        kernel_constraint=constraint,
        input_shape=(20,),
    )
    first_layer.build((None, 20))
    assert [w.shape for w in first_layer.weights] == [(20, 64), (64,)]
    assert len(first_layer.trainable_weights) == 2
    assert first_layer.kernel.constraint is constraint  # applied by the optimizer after each update
    (penalty,) = first_layer.losses
    np.testing.assert_allclose(float(penalty), 0.01 * np.sum(first_layer.kernel.numpy() ** 2), rtol=1e-5)

    first_layer.trainable = False
    assert first_layer.trainable_weights == [] and len(first_layer.non_trainable_weights) == 2
    first_layer.trainable = True
    assert len(first_layer.trainable_weights) == 2


def test_seed_004_shared_layer_counts_its_weights_once():
    shared_layer = layers.Dense(4, activation='relu')

    class TwiceShared(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = shared_layer
            self.middle = layers.Dense(4)
            self.again = shared_layer  # 再次使用共享层

        def call(self, x):
            return self.again(self.middle(self.first(x)))

    block = TwiceShared()
    block(np.ones((2, 4), "float32"))
    assert len(block.weights) == 4
    assert block.weights[:2] == [shared_layer.kernel, shared_layer.bias]
