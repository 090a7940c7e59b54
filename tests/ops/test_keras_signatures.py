"""mlkit/ops/__init__.py: every op has Keras 3's argument names, order and defaults.

The expected signatures were read from the keras.ops reference; a learner's
call such as `ops.leaky_relu(x, negative_slope=0.1)` must run unchanged on
Keras.
"""

import inspect

import pytest

from mlkit import ops

KERAS_SIGNATURES = {
    # element-wise arithmetic
    "add": "(x1, x2)", "subtract": "(x1, x2)", "multiply": "(x1, x2)", "divide": "(x1, x2)",
    "true_divide": "(x1, x2)", "floor_divide": "(x1, x2)", "mod": "(x1, x2)", "power": "(x1, x2)", "maximum": "(x1, x2)", "minimum": "(x1, x2)",
    "negative": "(x)", "square": "(x)", "sqrt": "(x)", "rsqrt": "(x)", "exp": "(x)", "expm1": "(x)",
    "log": "(x)", "log1p": "(x)", "abs": "(x)", "absolute": "(x)", "sign": "(x)", "sin": "(x)",
    "cos": "(x)", "floor": "(x)", "ceil": "(x)", "round": "(x, decimals=0)", "reciprocal": "(x)",
    "clip": "(x, x_min, x_max)", "where": "(condition, x1=None, x2=None)",
    # reductions
    "sum": "(x, axis=None, keepdims=False)", "mean": "(x, axis=None, keepdims=False)",
    "max": "(x, axis=None, keepdims=False, initial=None)", "min": "(x, axis=None, keepdims=False, initial=None)",
    "prod": "(x, axis=None, keepdims=False, dtype=None)", "var": "(x, axis=None, keepdims=False)",
    "std": "(x, axis=None, keepdims=False)", "argmax": "(x, axis=None, keepdims=False)",
    "argmin": "(x, axis=None, keepdims=False)", "logsumexp": "(x, axis=None, keepdims=False)",
    "cumsum": "(x, axis=None, dtype=None)", "norm": "(x, ord=None, axis=None, keepdims=False)",
    "all": "(x, axis=None, keepdims=False)", "any": "(x, axis=None, keepdims=False)",
    "count_nonzero": "(x, axis=None)",
    # products
    "matmul": "(x1, x2)", "dot": "(x1, x2)", "tensordot": "(x1, x2, axes=2)",
    "einsum": "(subscripts, *operands)", "outer": "(x1, x2)",
    # activations and nn
    "relu": "(x)", "relu6": "(x)", "sigmoid": "(x)", "tanh": "(x)", "softplus": "(x)", "softsign": "(x)",
    "silu": "(x)", "selu": "(x)", "hard_sigmoid": "(x)", "hard_silu": "(x)", "log_sigmoid": "(x)",
    "mish": "(x)", "erf": "(x)", "elu": "(x, alpha=1.0)", "gelu": "(x, approximate=True)",
    "leaky_relu": "(x, negative_slope=0.2)", "softmax": "(x, axis=-1)", "log_softmax": "(x, axis=-1)",
    "one_hot": "(x, num_classes, axis=-1, dtype=None, sparse=False)",
    "moments": "(x, axes, keepdims=False, synchronized=False)",
    # shapes and indexing
    "reshape": "(x, newshape)", "transpose": "(x, axes=None)", "expand_dims": "(x, axis)",
    "squeeze": "(x, axis=None)", "concatenate": "(xs, axis=0)", "stack": "(x, axis=0)",
    "split": "(x, indices_or_sections, axis=0)", "unstack": "(x, num=None, axis=0)",
    "take": "(x, indices, axis=None)", "take_along_axis": "(x, indices, axis=None)",
    "pad": "(x, pad_width, mode='constant', constant_values=None)",
    "slice": "(inputs, start_indices, shape)", "tile": "(x, repeats)", "repeat": "(x, repeats, axis=None)",
    "broadcast_to": "(x, shape)", "moveaxis": "(x, source, destination)", "swapaxes": "(x, axis1, axis2)",
    "flip": "(x, axis=None)", "ravel": "(x)",
    # conversion and creation
    "cast": "(x, dtype)", "convert_to_tensor": "(x, dtype=None, sparse=None, ragged=None)",
    "convert_to_numpy": "(x)", "shape": "(x)", "ndim": "(x)", "size": "(x)", "dtype": "(x)",
    "is_tensor": "(x)", "ones": "(shape, dtype=None)", "zeros": "(shape, dtype=None)",
    "full": "(shape, fill_value, dtype=None)", "ones_like": "(x, dtype=None)",
    "zeros_like": "(x, dtype=None)", "full_like": "(x, fill_value, dtype=None)",
    "eye": "(N, M=None, k=0, dtype=None)", "identity": "(n, dtype=None)",
    "arange": "(start, stop=None, step=1, dtype=None)",
    "linspace": "(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0)",
    # convolutions and pooling (implemented in mlkit/ops/conv.py and pooling.py)
    "conv": "(inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)",
    "depthwise_conv": "(inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)",
    "separable_conv": "(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding='valid', data_format=None, dilation_rate=1)",
    "conv_transpose": "(inputs, kernel, strides=1, padding='valid', output_padding=None, data_format=None, dilation_rate=1)",
    "max_pool": "(inputs, pool_size, strides=None, padding='valid', data_format=None)",
    "average_pool": "(inputs, pool_size, strides=None, padding='valid', data_format=None)",
    # gradients
    "stop_gradient": "(variable)", "custom_gradient": "(f)",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_op_signature_matches_keras(name):
    assert hasattr(ops, name), f"mlkit.ops has no {name}"
    assert str(inspect.signature(getattr(ops, name))) == KERAS_SIGNATURES[name]


def test_ops_slice_is_named_slice():
    assert ops.slice.__name__ == "slice"
