"""The steps of a traced training program: one forward and one backward per layer.

A traced program (see traced_step.py) is a flat list of these steps, one per
layer in the order the layers run, plus one for the loss. Each step has

- `forward(x)`: the layer's output for the batch `x` (NumPy arrays), keeping
  what its backward pass needs;
- `backward(grad)`: the gradient of the step's input from the gradient of its
  output, after storing the gradients of its trainable variables in
  `gradients` (in the order of `variables`).

`DenseStep` is written out by hand with buffers allocated once per trace, as
Dense layers are most of what small models compute; its arithmetic is the
same as `ops.fused.dense`, so the numbers equal the eager step's.
`ConvStep` does the same for Conv1D/Conv2D (the arithmetic of `ops.conv`).
`CallStep` serves every other traceable layer: it runs the layer's own
`call` under a tape and differentiates just that layer — the eager step's
code, minus the bookkeeping of `Layer.__call__`.

    >>> import numpy as np, mlkit
    >>> dense = mlkit.layers.Dense(3, activation="relu")
    >>> _ = dense(np.ones((2, 4), "float32"))
    >>> step = DenseStep(dense, dense.trainable_variables, input_gradient=True)
    >>> step.forward(np.ones((2, 4), "float32")).shape
    (2, 3)
    >>> step.backward(np.ones((2, 3), "float32")).shape, [g.shape for g in step.gradients]
    ((2, 4), [(4, 3), (3,)])
"""

import math

import numpy as np

from mlkit.layers.core.dense import fused_activation_name
from mlkit.losses.crossentropy_ops import class_ids_in_range
from mlkit.ops.autodiff import GradientTape
from mlkit.ops.conv import add_windows_back, inside, output_sizes_and_pads, sliding_windows
from mlkit.ops.fused import activate_in_place, gradient_through_activation
from mlkit.ops.tensor import Tensor


class DenseStep:
    """activation(x @ kernel + bias), forward and backward, into buffers made on the first batch.

    Inputs with more than two axes are folded to (samples, features) first,
    as `ops.fused.dense` does.
    """

    def __init__(self, layer, trainable, input_gradient):
        self.kernel, self.bias = layer.kernel, layer.bias
        self.activation = fused_activation_name(layer.activation)
        self.variables = [v for v in (self.kernel, self.bias) if v is not None and any(v is t for t in trainable)]
        self.wants_kernel = any(v is self.kernel for v in self.variables)
        self.wants_bias = len(self.variables) > int(self.wants_kernel)
        self.wants_input = input_gradient
        self.gradients = [np.empty_like(v.data) for v in self.variables]
        self.outputs = self.input_gradient = self.inputs = None

    def _allocate(self, x):
        rows = x.size // x.shape[-1]
        dtype = self.kernel.data.dtype
        self.outputs = np.empty((rows, self.kernel.shape[-1]), dtype)
        self.input_gradient = np.empty((rows, x.shape[-1]), dtype) if self.wants_input else None

    def forward(self, x):
        self.input_shape = x.shape
        if x.ndim != 2:
            x = x.reshape(-1, x.shape[-1])
        if self.outputs is None:
            self._allocate(x)
        self.inputs = x
        z = np.matmul(x, self.kernel.data, out=self.outputs)
        if self.bias is not None:
            z += self.bias.data
        y = activate_in_place(z, self.activation)
        self.activated = y  # the same buffer except for sigmoid, which makes a new array
        return y if len(self.input_shape) == 2 else y.reshape(self.input_shape[:-1] + y.shape[-1:])

    def backward_through_activation(self, grad):
        """The gradient of the pre-activation, as (rows, units), from that of the output."""
        y = self.activated
        grad = grad.reshape(y.shape)
        if self.activation == "relu":
            # In place: the gradient reaching a step is used by that step only.
            return np.multiply(grad, y > 0, out=grad if grad.dtype == y.dtype and grad.flags.writeable else None)
        if self.activation != "linear":
            return gradient_through_activation(grad, y, self.activation)
        return grad

    def backward(self, grad):
        grad = self.backward_through_activation(grad)
        gradients = iter(self.gradients)
        if self.wants_kernel:
            np.matmul(self.inputs.T, grad, out=next(gradients))
        if self.wants_bias:
            np.add.reduce(grad, axis=0, out=next(gradients))  # np.sum without its Python wrapper
        if not self.wants_input:
            return None
        input_gradient = np.matmul(grad, self.kernel.data.T, out=self.input_gradient)
        return input_gradient if len(self.input_shape) == 2 else input_gradient.reshape(self.input_shape)


class ConvStep(DenseStep):
    """activation(conv(x, kernel) + bias) for Conv1D/Conv2D, forward and backward, into buffers.

    The arithmetic of `ops.conv` followed by `ops.fused.bias_activation`
    (channels_last, one group): the padded input is unfolded into one row per
    output position ("im2col"), and one matrix product with the kernel gives
    every output. Here the padded input, the unfolded rows, the outputs and
    the input's gradient are buffers made on the first batch: the padding
    stays zero, and each step only rewrites the inside.
    """

    def __init__(self, layer, trainable, input_gradient):
        super().__init__(layer, trainable, input_gradient)
        self.window, self.strides, self.dilation = layer.kernel.shape[:-2], layer.strides, layer.dilation_rate
        self.padding = layer.padding
        self.padded = None

    def _allocate(self, x):
        geometry = (x.shape[1:-1], self.window, self.strides, self.dilation, self.padding, "ops.conv")
        out_sizes, pads = output_sizes_and_pads(*geometry)
        dtype, (channels, filters) = self.kernel.data.dtype, self.kernel.shape[-2:]
        padded_sizes = tuple(n + before + after for n, (before, after) in zip(x.shape[1:-1], pads))
        self.padded = np.zeros((x.shape[0],) + padded_sizes + (channels,), dtype)
        self.inside = inside(x.shape, pads)
        self.windows = sliding_windows(self.padded, self.window, self.strides, self.dilation, out_sizes)
        positions, taps = x.shape[0] * math.prod(out_sizes), math.prod(self.window)
        self.patches = np.empty((positions, taps * channels), dtype)
        self.outputs = np.empty((positions, filters), dtype)
        self.output_shape = (x.shape[0],) + out_sizes + (filters,)
        self.gradient_shape = self.window + (x.shape[0],) + out_sizes + (channels,)
        self.input_gradient = np.zeros_like(self.padded) if self.wants_input else None

    def forward(self, x):
        if self.padded is None:
            self._allocate(x)
        self.padded[self.inside] = x
        np.copyto(self.patches.reshape(self.windows.shape), self.windows)  # im2col: one copy
        z = np.matmul(self.patches, self.kernel.data.reshape(self.patches.shape[1], -1), out=self.outputs)
        if self.bias is not None:
            z += self.bias.data
        self.activated = activate_in_place(z, self.activation)
        return self.activated.reshape(self.output_shape)

    def backward(self, grad):
        grad = self.backward_through_activation(grad)
        gradients = iter(self.gradients)
        if self.wants_kernel:
            np.matmul(self.patches.T, grad, out=next(gradients).reshape(self.patches.shape[1], -1))
        if self.wants_bias:
            np.add.reduce(grad, axis=0, out=next(gradients))
        if not self.wants_input:
            return None
        # Each kernel tap's share of the input gradient, added back where that tap read ("col2im").
        taps = np.ascontiguousarray(self.kernel.data.reshape(-1, self.kernel.shape[-2], grad.shape[-1]).swapaxes(1, 2))
        by_tap = np.matmul(grad, taps).reshape(self.gradient_shape)
        total = add_windows_back(by_tap, self.padded.shape, self.strides, self.dilation, out=self.input_gradient)
        return total[self.inside]


class CallStep:
    """Any traceable layer: its own `call`, differentiated by a tape of its own.

    A merge layer (Add, Concatenate, ...) takes a list of inputs: `forward`
    then gets a list of arrays, `input_gradient` is a list of flags (which
    inputs need a gradient), and `backward` returns a list of gradients.
    """

    def __init__(self, layer, trainable, arguments, input_gradient):
        self.call = layer.call
        self.arguments = arguments
        self.variables = [v for v in layer.trainable_variables if any(v is t for t in trainable)]
        self.takes_list = isinstance(input_gradient, list)
        self.wants_inputs = input_gradient if self.takes_list else [input_gradient]
        self.gradients = [None] * len(self.variables)
        self.tape = self.inputs = self.outputs = None

    def forward(self, x):
        with GradientTape() as tape:
            self.inputs = [Tensor(value) for value in x] if self.takes_list else [Tensor(x)]
            tape.watch([tensor for tensor, wanted in zip(self.inputs, self.wants_inputs) if wanted])
            self.outputs = self.call(self.inputs if self.takes_list else self.inputs[0], **self.arguments)
        self.tape = tape
        return self.outputs.data

    def backward(self, grad):
        wanted_inputs = [tensor for tensor, wanted in zip(self.inputs, self.wants_inputs) if wanted]
        sources = wanted_inputs + self.variables
        grads = self.tape.gradient(self.outputs, sources, output_gradients=grad) if sources else []
        self.tape = None
        given = iter(grads)  # the wanted inputs' gradients, then the variables'
        input_grads = []
        for tensor, wanted in zip(self.inputs, self.wants_inputs):
            if not wanted:
                input_grads.append(None)
                continue
            gradient = next(given)
            gradient = np.zeros_like(tensor.data) if gradient is None else gradient.data
            if any(gradient is earlier for earlier in input_grads):
                # A merge hands one gradient on to several inputs; the steps that
                # receive them may change it in place, so each gets its own.
                gradient = gradient.copy()
            input_grads.append(gradient)
        for index, (variable, gradient) in enumerate(zip(self.variables, given)):
            self.gradients[index] = np.zeros_like(variable.data) if gradient is None else gradient.data
        return input_grads if self.takes_list else input_grads[0]


class LossStep:
    """Any compiled loss of the model's one output: its value, and its gradient by a tape."""

    def __init__(self, loss):
        self.loss = loss
        self.tape = self.predictions = self.value = None

    def accepts(self, y_true):
        return True  # the loss checks its arguments itself

    def forward(self, y_true, y_pred):
        with GradientTape() as tape:
            self.predictions = Tensor(y_pred)
            tape.watch(self.predictions)
            self.value = self.loss(y_true, self.predictions)
        self.tape = tape
        return self.value

    def backward(self):
        grad = self.tape.gradient(self.value, self.predictions)
        self.tape = None
        return grad.data


class SparseCrossentropyFromLogitsStep:
    """SparseCategoricalCrossentropy(from_logits=True), averaged over the batch, by hand.

    loss = mean(log(sum(exp(z))) - z[label]); its gradient with respect to the
    logits z is (softmax(z) - one_hot(label)) / batch. The same arithmetic as
    `losses.crossentropy_ops.sparse_crossentropy` followed by a mean.
    """

    def __init__(self, loss, classes):
        self.classes = classes
        self.dtype = np.dtype(loss.dtype)
        self.exp = self.total = self.index = self.row_numbers = None

    def accepts(self, y_true):
        """Integer class ids in range; anything else goes to the eager step, which explains."""
        labels = y_true.data if isinstance(y_true, Tensor) else y_true
        return (
            isinstance(labels, np.ndarray)
            and labels.dtype.kind in "iu"
            and labels.size > 0
            and class_ids_in_range(labels, self.classes)
        )

    def forward(self, y_true, y_pred):
        labels = y_true.data if isinstance(y_true, Tensor) else y_true
        rows = y_pred if y_pred.dtype == self.dtype else y_pred.astype(self.dtype)
        if self.row_numbers is None or len(self.row_numbers) != len(rows):
            self.row_numbers = np.arange(len(rows))
        self.index = (self.row_numbers, labels.reshape(-1))
        # ufunc.reduce is what .max() and .sum() call, minus their Python wrappers.
        shifted = rows - np.maximum.reduce(rows, axis=-1, keepdims=True)
        at_labels = shifted[self.index]
        self.exp = np.exp(shifted, out=shifted)
        self.total = np.add.reduce(self.exp, axis=-1)
        values = np.log(self.total) - at_labels
        return Tensor(np.add.reduce(values) / len(values))

    def backward(self):
        grad = self.exp / self.total[:, None]
        grad[self.index] -= 1
        grad *= self.dtype.type(1) / len(grad)
        return grad


class MeanSquaredErrorStep:
    """MeanSquaredError averaged over the batch, by hand: mean((y_pred - y_true)^2)."""

    def __init__(self, loss):
        self.dtype = np.dtype(loss.dtype)
        self.difference = None

    def accepts(self, y_true):
        labels = y_true.data if isinstance(y_true, Tensor) else y_true
        return isinstance(labels, np.ndarray) and labels.dtype.kind == "f"

    def forward(self, y_true, y_pred):
        labels = y_true.data if isinstance(y_true, Tensor) else y_true
        difference = y_pred - labels.astype(self.dtype, copy=False)
        self.difference = difference
        per_sample = np.square(difference).sum(axis=-1) / difference.shape[-1]
        return Tensor(per_sample.sum() / len(per_sample))

    def backward(self):
        return self.difference * self.dtype.type(2 / self.difference.size)


class MetricsStep:
    """The loss tracker's and the compiled metrics' updates for one batch.

    The same arithmetic as the eager step's `update_state` calls, without
    their dispatch: a compiled metric that is a running mean of a per-sample
    function ("accuracy", "mae", ... any `MeanMetricWrapper`) gets that
    function's values added directly, as `Mean.update_state` does with
    unweighted values; any other metric runs its own `update_state`.
    """

    def __init__(self, loss_tracker, compiled_metrics):
        from mlkit.metrics.reduction_metrics import MeanMetricWrapper

        self.loss_tracker = loss_tracker
        entries = compiled_metrics.metrics if compiled_metrics is not None and compiled_metrics.built else []
        self.metrics = [
            (metric, type(metric).update_state is MeanMetricWrapper.update_state) for _, metric, _ in entries
        ]

    def update(self, loss, y_true, y_pred):
        self.loss_tracker._add_weighted_number(loss, len(y_pred))
        for metric, is_mean_of_function in self.metrics:
            if is_mean_of_function:
                values = metric._fn(y_true, y_pred, **metric._fn_kwargs)
                values = values.data if isinstance(values, Tensor) else values
                if metric._are_sample_values(values):
                    metric._add_sample_values(values)
                    continue
            metric.update_state(y_true, Tensor(y_pred))


def loss_step(loss, output_shape, target_shape):
    """The fastest step that computes this loss exactly, for these shapes."""
    from mlkit import losses
    from mlkit.losses.loss import LossFunctionWrapper

    plain = getattr(loss, "reduction", None) == "sum_over_batch_size" and np.dtype(loss.dtype).kind == "f"
    kind = type(loss)
    if plain and kind is losses.SparseCategoricalCrossentropy and loss.from_logits and loss.ignore_class is None:
        if len(output_shape) == 2 and target_shape in ((output_shape[0],), (output_shape[0], 1)):
            return SparseCrossentropyFromLogitsStep(loss, output_shape[-1])
    mean_squared = kind is losses.MeanSquaredError or (
        kind is LossFunctionWrapper and _plain_function(loss, losses.mean_squared_error)
    )
    if plain and mean_squared and len(output_shape) == 2 and target_shape == tuple(output_shape):
        return MeanSquaredErrorStep(loss)
    return LossStep(loss)


def _plain_function(loss, function):
    """Whether `loss` wraps exactly `function`, with no extra arguments ("mse", say)."""
    if getattr(loss, "fn", None) is not function:
        return False
    return not set(loss.get_config()) - {"name", "reduction", "fn", "dtype"}
