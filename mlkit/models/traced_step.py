"""The traced training step behind `compile(jit_compile=True)` (an mlkit extension).

Keras hands `jit_compile=True` to XLA, which compiles the whole training step
once and then runs the compiled program for every batch. mlkit has no
compiler, but the same idea pays: most of what an eager step costs on a small
batch is Python deciding again what to do (which layers, which dtypes, which
loss, which checks), and those answers do not change from one batch to the
next. So with `jit_compile=True`:

1. the first batch of a new shape runs the ordinary eager `train_step`,
   which builds the layers, the optimizer and the metrics;
2. right after it, the step is *traced*: the model is read once into a flat
   `TracedProgram` of steps (traced_kernels.py), one forward/backward pair
   per layer — Dense and convolution layers as hand-written NumPy with
   buffers allocated once, the other layers as their own `call` with its arguments settled
   (training=True) — then the loss (hand-written for the common ones), the
   trainable variables and the optimizer; together with *guards*: everything
   that shaped the trace (the batch's shapes and dtypes, the model's layers
   and trainable flags, the optimizer, the compile);
3. later batches *replay* the program while every guard holds: forward,
   loss, backward, the optimizer update and the metric updates, with none
   of the per-call bookkeeping of `Layer.__call__`, `Model.__call__`,
   `compute_loss`, `optimizer.apply` and `compute_metrics` (the gradients
   are computed straight into the optimizer's buffer). The arithmetic is
   the eager step's, so the weights, losses and metrics equal eager
   training's (to float rounding).

A guard that fails (a smaller last batch, a layer frozen between two fits,
a new optimizer, a new `compile()`) sends that batch through the eager step
again, which traces anew for the new situation; up to `MAX_PROGRAMS`
programs are kept, one per batch shape, like a `tf.function`'s concrete
functions.

Which steps are traced: those of a `Sequential` model, or of a functional
model with one input and one output whose layers are each called once
(branches and merges included: a residual block, two towers and a
Concatenate), whose train_step, call, compute_loss and compute_metrics are
mlkit's own, with a compiled loss, no sample or class weights, no
regularization losses, no mixed precision, and only layers from
`TRACEABLE_LAYERS`. Anything else (your own layers, a custom `train_step`,
a layer called twice, subclassed models...) runs every step eagerly; the
reason is kept in `model.traced_step.reason`.

Python side effects. Under `tf.function`, Python code in a layer's `call`
(a print, a counter) runs only while the step is traced, not on later
batches. In mlkit the same holds for what a traced step replays: the
built-in layers, whose `call`s have no side effects. Your own layers are
not traced: a model holding one runs every step eagerly, so its `call`
runs on every batch exactly as you wrote it.

    >>> import numpy as np, mlkit
    >>> model = mlkit.Sequential([mlkit.Input(shape=(4,)), mlkit.layers.Dense(2)])
    >>> model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    >>> history = model.fit(np.ones((8, 4)), np.zeros((8, 2)), batch_size=4, epochs=2, verbose=0)
    >>> model.traced_step.replays   # the first batch traced; three more replayed
    3
"""

import inspect

import numpy as np

from mlkit import layers
from mlkit.layers.call_context import context
from mlkit.layers.core.dense import fused_activation_name
from mlkit.layers.keras_tensor import KerasTensor
from mlkit.layers.layer import state_version
from mlkit.models.data_adapter import unpack_batch
from mlkit.models.metrics_logs import MetricsLogs
from mlkit.models.traced_kernels import CallStep, ConvStep, DenseStep, LossStep, MetricsStep, loss_step
from mlkit.ops.tensor import Tensor

# The layers a traced step replays: built-in layers whose `call` is plain
# NumPy arithmetic on its input(s), with no sublayers and no masks to pass on
# (an Embedding with mask_zero=True makes one: its model is stepped eagerly).
# Every one is trained both ways in tests/models/test_traced_step.py.
TRACEABLE_LAYERS = (
    # core, activations, reshaping
    layers.Dense, layers.Embedding, layers.Identity,
    layers.Activation, layers.ReLU, layers.LeakyReLU, layers.ELU, layers.PReLU, layers.Softmax,
    layers.Flatten, layers.Reshape, layers.Permute, layers.RepeatVector,
    layers.Cropping2D, layers.ZeroPadding2D, layers.UpSampling2D,
    # regularization and normalization
    layers.Dropout, layers.SpatialDropout1D, layers.SpatialDropout2D, layers.SpatialDropout3D,
    layers.GaussianNoise, layers.GaussianDropout,
    layers.BatchNormalization, layers.LayerNormalization,
    # convolution and pooling
    layers.Conv1D, layers.Conv2D, layers.Conv1DTranspose, layers.Conv2DTranspose,
    layers.DepthwiseConv1D, layers.DepthwiseConv2D, layers.SeparableConv1D, layers.SeparableConv2D,
    layers.MaxPooling1D, layers.MaxPooling2D, layers.AveragePooling1D, layers.AveragePooling2D,
    layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D,
    layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D,
    # recurrent
    layers.SimpleRNN, layers.LSTM, layers.GRU,
    # merging (in functional models)
    layers.Add, layers.Subtract, layers.Multiply, layers.Average, layers.Maximum, layers.Minimum,
    layers.Concatenate, layers.Dot,
)


class TracedStep:
    """A model's training step under `jit_compile=True`: traced once, then replayed.

    Called by `fit` in place of `train_step`. `replays` counts the batches
    that ran the traced program, `traces` the programs made, and `reason`
    says why the last trace cannot be replayed (None when it can).
    """

    # Programs kept at once, like a tf.function's concrete functions: one per
    # batch shape seen (a fit's smaller last batch gets its own).
    MAX_PROGRAMS = 8

    def __init__(self, model):
        self.model = model
        self.programs = {}  # guards -> TracedProgram
        self.reason = None
        self.replays = 0
        self.traces = 0

    def __call__(self, data):
        guards = guards_of(self.model, data)
        program = self.programs.get(guards)
        if program is not None:
            if program.reason is None:
                self.replays += 1
                return program.replay(data)
            return self.model.train_step(data)  # known not to be traceable: stay eager
        logs = self.model.train_step(data)  # builds what is new, then trace it
        program = TracedProgram.trace(self.model, data)
        if len(self.programs) >= self.MAX_PROGRAMS or program.guards != guards:
            self.programs.clear()  # the model changed (the eager step built state): start afresh
        self.programs[program.guards] = program
        self.traces += 1
        self.reason = program.reason
        return logs


def guards_of(model, data):
    """Everything a trace depends on, as one value compared before every replay.

    `state_version` changes whenever any layer gains or loses state or a
    trainable flag flips; the optimizer and compile count catch a new
    `compile()` or optimizer; shapes and dtypes catch a different batch.
    """
    x, y, sample_weight = unpack_batch(data)
    return (
        state_version[0],
        model._compile_count,
        id(model.optimizer),
        _signature(x),
        _signature(y),
        sample_weight is None,
    )


def _signature(array):
    if array is None:
        return None
    data = _array_of(array)
    return (type(data), getattr(data, "shape", None), getattr(data, "dtype", None))


def _array_of(value):
    return value.data if isinstance(value, Tensor) else value


class TracedProgram:
    """The flat program of one training step (or why there is none), and its guards.

    `steps` hold one forward/backward pair per layer (traced_kernels.py), in
    the order the layers run, and `sources` where each step's input comes
    from (see `layer_graph`); `gradient_places` says where each trainable
    variable's gradient is found, in the order the optimizer was built with.
    """

    def __init__(self, model, guards, reason=None, steps=(), loss_step=None, input_dtype=None, sources=()):
        self.model = model
        self.guards = guards
        self.reason = reason
        self.steps = steps
        self.sources = sources
        self.loss_step = loss_step
        self.input_dtype = input_dtype
        self.variables = model.trainable_variables
        places = {}
        for step in steps:
            for index, variable in enumerate(step.variables):
                places[id(variable)] = (step, index)
        self.gradient_places = [places.get(id(variable)) for variable in self.variables]
        if reason is None and None in self.gradient_places:
            self.reason = "a trainable variable belongs to no traced layer"
        self.gradient_copies = None if self.reason else self._write_gradients_for(model.optimizer)
        self.metrics_step = None if self.reason else MetricsStep(model._loss_tracker, model._compiled_metrics)

    def _write_gradients_for(self, optimizer):
        """Let the steps write their gradients where the optimizer reads them.

        When the optimizer offers buffers for exactly these variables, a
        `DenseStep` computes each gradient into its buffer; the gradients
        other steps make are copied there (returned: (step, index, buffer)
        triples). None when the optimizer has no buffers: replay then hands
        the gradients to `optimizer.apply`.
        """
        buffers = optimizer._gradient_buffers(self.variables)
        if buffers is None:
            return None
        copies = []
        for (step, index), buffer in zip(self.gradient_places, buffers):
            if isinstance(step, DenseStep):  # ConvStep too
                step.gradients[index] = buffer
            else:
                copies.append((step, index, buffer))
        return copies

    @classmethod
    def trace(cls, model, data):
        """Read `model` once, after an eager step on `data` has built everything."""
        guards = guards_of(model, data)
        reason = untraceable_reason(model, data)
        if reason is not None:
            return cls(model, guards, reason)
        trainable = model.trainable_variables
        graph = layer_graph(model)
        steps = []
        for layer, source in graph:
            # Nobody asks for the gradient of the data (position 0).
            input_gradient = [position > 0 for position in source] if isinstance(source, list) else source > 0
            if type(layer) is layers.Dense and fused_activation_name(layer.activation) is not None:
                step = DenseStep(layer, trainable, input_gradient)
            elif _is_plain_convolution(layer):
                step = ConvStep(layer, trainable, input_gradient)
            else:
                step = CallStep(layer, trainable, call_arguments(layer), input_gradient)
            steps.append(step)
        x, y, _ = unpack_batch(data)
        loss = model._compiled_loss.losses[0]
        output_shape = _output_shape(model, _array_of(x).shape)
        step = loss_step(loss, output_shape, np.shape(_array_of(y))) if output_shape else LossStep(loss)
        # Float batches are cast to the compute dtype, as the autocast of the layers
        # reading them does; layers that do not autocast (Embedding: indices) get the batch as it is.
        first = graph[0][0]
        input_dtype = np.dtype(first.compute_dtype) if first.autocast else None
        sources = [source for _, source in graph]
        return cls(model, guards, None, steps, step, input_dtype, sources)

    def replay(self, data):
        """One training step: forward, loss, backward, optimizer update, metrics."""
        model = self.model
        x, y, _ = unpack_batch(data)
        if not self.loss_step.accepts(y):
            return model.train_step(data)  # the eager loss explains what is wrong with y
        outputs = _array_of(x)
        if self.input_dtype is not None and outputs.dtype != self.input_dtype:
            outputs = outputs.astype(self.input_dtype)
        values = [outputs]  # the batch, then each step's output, in order
        with _training_call(model):
            for step, source in zip(self.steps, self.sources):
                values.append(step.forward([values[i] for i in source] if type(source) is list else values[source]))
            outputs = values[-1]
            loss = self.loss_step.forward(y, outputs)
        self._backward(self.loss_step.backward())
        if self.gradient_copies is None:
            model.optimizer.apply([step.gradients[index] for step, index in self.gradient_places], self.variables)
        else:
            for step, index, buffer in self.gradient_copies:
                buffer[...] = step.gradients[index]
            model.optimizer._apply_gradient_buffers()
        self.metrics_step.update(_array_of(loss), y, outputs)
        return MetricsLogs(model)

    def _backward(self, output_gradient):
        """Walk the steps backwards from the gradient of the model's output.

        `gradients[k]` collects the gradient of value k (the output of step
        k - 1); a value read by several steps sums what each sends back.
        """
        gradients = [None] * len(self.steps) + [output_gradient]
        for position in range(len(self.steps), 0, -1):
            source = self.sources[position - 1]
            sent = self.steps[position - 1].backward(gradients[position])
            gradients[position] = None
            for target, gradient in zip(source, sent) if type(source) is list else ((source, sent),):
                if target == 0:
                    continue  # the batch
                gradients[target] = gradient if gradients[target] is None else gradients[target] + gradient


# Methods a traced step replaces; a model that overrides one is stepped eagerly.
_REPLACED_METHODS = ("train_step", "call", "__call__", "compute_loss", "compute_metrics")


def untraceable_reason(model, data):
    """Why this model's step cannot be traced (a sentence), or None if it can."""
    graph = layer_graph(model)
    if isinstance(graph, str):
        return graph
    x, y, sample_weight = unpack_batch(data)
    if not isinstance(_array_of(x), np.ndarray):
        return "the inputs are not one array"
    if y is None or sample_weight is not None:
        return "the batch has no targets, or has sample weights"
    functions = model._compiled_loss.losses if model._compiled_loss is not None else None
    if not functions or len(functions) != 1 or functions[0] is None:
        return "the model has no compiled loss for exactly one output"
    if model.losses:
        return "the model adds losses of its own (add_loss or regularizers)"
    compute_dtypes, reads_batch = set(), set()
    for layer, source in graph:
        if 0 in (source if isinstance(source, list) else [source]):
            reads_batch.add(layer.autocast)
        if type(layer) not in TRACEABLE_LAYERS:
            return f"layer {layer.name!r} ({type(layer).__name__}) has no traced version"
        if _has_regularizer(layer):
            return f"layer {layer.name!r} has a regularizer"
        if getattr(layer, "return_state", False):
            return f"layer {layer.name!r} returns its states as extra outputs"
        if getattr(layer, "mask_zero", False):
            return f"layer {layer.name!r} makes a mask (mask_zero=True) for the layers after it"
        compute_dtypes.add(layer.compute_dtype)
        if layer.compute_dtype != layer.variable_dtype:
            return f"layer {layer.name!r} uses mixed precision"
    if len(compute_dtypes) != 1:
        return f"the layers compute in several dtypes {sorted(compute_dtypes)}"
    if len(reads_batch) != 1:
        return "the batch goes to layers that cast it and to layers that do not (autocast)"
    return None


def layer_graph(model):
    """The layers a batch goes through, each with where its input comes from, or why the model has no such graph.

    A list of (layer, source) in the order the layers run: `source` is the
    position of the layer's input among the values a step makes (0: the
    batch; k: the output of the k-th layer), or a list of positions for a
    layer that takes a list (a merge: Add, Concatenate...). A Sequential
    model is a chain (layer k reads value k); a functional model with one
    input and one output qualifies when each layer is called once, on
    tensors only, and the last layer makes the output.
    """
    from mlkit.models.functional import Functional
    from mlkit.models.sequential import Sequential

    base = next((kind for kind in (Sequential, Functional) if isinstance(model, kind)), None)
    if base is None:
        return f"only Sequential and functional models are traced; {type(model).__name__} runs eagerly"
    for name in _REPLACED_METHODS:
        if getattr(type(model), name) is not getattr(base, name):
            return f"{type(model).__name__} overrides {name}()"
    if base is Sequential:
        return [(layer, position) for position, layer in enumerate(model.layers)]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return "the functional model has several inputs or outputs"
    positions = {id(model.inputs[0]): 0}  # tensor -> position of its value
    graph = []
    for node in model._nodes:
        if any(node.layer is layer for layer, _ in graph):
            return f"layer {node.layer.name!r} is called more than once"
        inputs = node.call_args[0] if len(node.call_args) == 1 else None
        tensors = inputs if isinstance(inputs, list) else [inputs]
        if node.call_kwargs or not all(isinstance(tensor, KerasTensor) for tensor in tensors):
            return f"layer {node.layer.name!r} is called with arguments other than its input tensors"
        if len(node.output_tensors) != 1:
            return f"layer {node.layer.name!r} has several outputs"
        source = [positions[id(t)] for t in inputs] if isinstance(inputs, list) else positions[id(inputs)]
        graph.append((node.layer, source))
        positions[id(node.output_tensors[0])] = len(graph)
    if not graph or positions.get(id(model.outputs[0])) != len(graph):
        return "the functional model's output is not its last layer's"
    return graph


def _output_shape(model, input_shape):
    """The model's output shape for a batch of `input_shape`, or None if unknown."""
    try:
        shape = model.compute_output_shape(input_shape)
    except Exception:  # noqa: BLE001 - an unknown shape only means the generic loss step
        return None
    if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape[1:]):
        return None
    return (input_shape[0],) + shape[1:]


def _is_plain_convolution(layer):
    """A Conv1D/Conv2D that `ConvStep` computes: channels_last, one group, a fused activation."""
    return (
        type(layer) in (layers.Conv1D, layers.Conv2D)
        and layer.groups == 1
        and layer.data_format == "channels_last"
        and layer.padding in ("valid", "same")
        and fused_activation_name(layer.activation) is not None
    )


def _has_regularizer(layer):
    return any(
        value is not None for name, value in vars(layer).items() if name.endswith("regularizer")
    )


def call_arguments(layer):
    """The keyword arguments the eager step passes to this layer's `call` inside fit."""
    return {"training": True} if "training" in inspect.signature(layer.call).parameters else {}


class _training_call:
    """What `Model.__call__` and `Layer.__call__` tell the layers of a training step."""

    def __init__(self, model):
        self.step = model._current_step()

    def __enter__(self):
        self.saved = (context.depth, context.training, context.step)
        context.depth, context.training, context.step = self.saved[0] + 1, True, self.step

    def __exit__(self, *exc_info):
        context.depth, context.training, context.step = self.saved
        return False
