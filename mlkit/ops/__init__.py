"""`mlkit.ops`: Keras-3-named tensor operations over NumPy, with gradients.

    >>> from mlkit import ops
    >>> x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> ops.matmul(x, ops.ones((2, 1))).numpy().ravel().tolist()
    [3.0, 7.0]

The modules, one concept each: `tensor` (the Tensor type), `autodiff`
(recording and the backward pass), `core` (conversion, dtypes, creation),
`math` (element-wise ops and reductions), `linalg` (products), `array`
(reshaping, slicing, gathering), `nn` (activations, softmax), `conv`
(convolutions) and `pooling`.
"""

from mlkit.ops.array import (
    broadcast_to,
    concat,
    concatenate,
    expand_dims,
    flatten,
    flip,
    gather,
    get_item,
    moveaxis,
    pad,
    ravel,
    repeat,
    reshape,
    slice_ as slice,
    split,
    squeeze,
    stack,
    swapaxes,
    take,
    take_along_axis,
    tile,
    transpose,
    unstack,
)
from mlkit.ops.autodiff import GradientTape, custom_gradient, enable_grad, no_grad, no_recording, stop_gradient
from mlkit.ops.core import (
    arange,
    cast,
    convert_to_numpy,
    convert_to_tensor,
    dtype,
    eye,
    full,
    full_like,
    identity,
    is_float_dtype,
    is_tensor,
    linspace,
    ndim,
    ones,
    ones_like,
    shape,
    size,
    standardize_dtype,
    zeros,
    zeros_like,
)
from mlkit.ops.linalg import dot, einsum, matmul, outer, tensordot
from mlkit.ops.math import (
    abs,
    absolute,
    add,
    add_n,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    ceil,
    clip,
    cos,
    count_nonzero,
    cumsum,
    divide,
    equal,
    exp,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    max,
    maximum,
    mean,
    min,
    minimum,
    mod,
    multiply,
    negative,
    norm,
    not_equal,
    one_hot,
    power,
    prod,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    std,
    subtract,
    sum,
    true_divide,
    var,
    where,
)
from mlkit.ops.nn import (
    elu,
    erf,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    mish,
    moments,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from mlkit.ops.tensor import Tensor

# Keras names these ops `ops.conv`, `ops.max_pool`, ...: binding the functions
# here hides the submodules of the same name (import from them with
# `from mlkit.ops.conv import ...`, which still works).
from mlkit.ops.conv import conv, conv_transpose, depthwise_conv, separable_conv
from mlkit.ops.pooling import average_pool, max_pool

from mlkit.ops import array as _array_module, autodiff as _autodiff_module, linalg as _linalg_module
from mlkit.ops import math as _math_module, tensor as _tensor_module

_tensor_module._array, _tensor_module._linalg, _tensor_module._math = _array_module, _linalg_module, _math_module
_tensor_module._autodiff = _autodiff_module
