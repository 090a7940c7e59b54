"""Reverse-mode automatic differentiation, in one page.

Every op computes its NumPy result first. Then, only if a tape is recording
and some input needs a gradient, it calls `record(result, parents, grad_fn)`:
the result remembers its parents and a `grad_fn(grad)` function returning one
gradient per parent. `GradientTape.gradient()` walks the recorded nodes backwards, from the
output to the sources, summing the gradients that meet at a node.

    >>> from mlkit import ops, Variable, GradientTape
    >>> w = Variable([1.0, 2.0])
    >>> with GradientTape() as tape:
    ...     loss = ops.sum(w * w)
    >>> tape.gradient(loss, w).numpy().tolist()   # d(w^2)/dw = 2w
    [2.0, 4.0]
"""

import inspect

import numpy as np

from mlkit.ops.tensor import Tensor


class _TapeState:
    """What is being recorded right now.

    `recording` counts the active tapes (0: record nothing). `nodes` is the
    tape itself: every recorded tensor, in creation order, which is already
    a valid order for the backward pass (a tensor is always made after its
    parents), so no graph sort is needed.
    """

    recording = 0
    nodes = []


_state = _TapeState()


def is_recording():
    return _state.recording > 0


def needs_grad(x):
    """True when `x` is a tensor whose gradient someone will ask for."""
    return _state.recording > 0 and isinstance(x, Tensor) and x.requires_grad


def record(value, parents, grad_fn):
    """Wrap `value` in a tensor that remembers `parents` and `grad_fn`."""
    out = Tensor(value, parents, grad_fn)
    _state.nodes.append(out)
    return out


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing NumPy broadcasting.

    If `x` of shape (3,) was added to `y` of shape (2, 3), the result and its
    gradient have shape (2, 3); x's share of the gradient is the sum over the
    broadcast axis 0.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad


def backpropagate(nodes, output, sources, output_gradient=None):
    """Gradients of `output` w.r.t. `sources`, walking the recorded `nodes` backwards.

    A source `output` does not depend on gets `None`, as in Keras.
    """
    if not isinstance(output, Tensor) or not output.requires_grad:
        return [None for _ in sources]
    touched = _propagate(nodes, output, output_gradient)
    try:
        return [None if source._upstream is None else _finish_upstream(source) for source in sources]
    finally:
        for tensor in touched:
            tensor._upstream = None


def _propagate(nodes, output, output_gradient=None):
    """Walk `nodes` (in creation order) backwards from `output`.

    Each node's gradient is parked on the node itself (`node._upstream`) while
    the walk runs; returns every tensor that received one, for the caller to
    read and then clear.
    """
    if output_gradient is None:
        value = output.data
        # d(output)/d(output) = 1; a scalar loss (the usual case) needs no np.ones.
        seed = np.array(1, dtype=value.dtype) if value.ndim == 0 else np.ones(value.shape, dtype=value.dtype)
    else:
        seed = np.asarray(getattr(output_gradient, "data", output_gradient), dtype=output.data.dtype)
    touched = [output]
    output._upstream = seed
    saved = _state.recording
    _state.recording = 0  # backward rules must not record a graph of their own
    try:
        for node in reversed(nodes):
            grad = node._upstream
            if grad is None or node.grad_fn is None:
                continue
            for parent, parent_grad in zip(node.parents, node.grad_fn(grad)):
                if parent_grad is None or not getattr(parent, "requires_grad", False):
                    continue
                if parent._upstream is None:
                    parent._upstream = parent_grad
                    touched.append(parent)
                else:
                    parent._upstream = parent._upstream + parent_grad
    except BaseException:
        for tensor in touched:
            tensor._upstream = None
        raise
    finally:
        _state.recording = saved
    return touched


def backward(output):
    """`output.backward()`: add d(output)/d(leaf) to the `.grad` of each leaf it came from.

    The leaves are the trainable variables (and watched tensors) the recorded
    ops started from. Unlike `GradientTape.gradient`, this needs no list of
    recorded nodes: it follows `parents` from `output`, as torch does.
    """
    if not isinstance(output, Tensor) or output.grad_fn is None:
        raise RuntimeError(
            "backward(): this tensor was not computed by recorded ops, so it has no gradient. "
            "Compute the loss inside fit()'s train_step (where ops are recorded, as on Keras's "
            "torch backend) or inside `with mlkit.GradientTape():`, and not under ops.no_grad()."
        )
    if output.data.size != 1:
        raise RuntimeError(
            f"backward() needs a scalar (one value), got a tensor of shape {output.shape}. "
            "Reduce it first, e.g. `ops.mean(loss).backward()`."
        )
    touched = _propagate(_graph_order(output), output)
    try:
        for tensor in touched:
            if tensor.grad_fn is None:  # a leaf: keep its gradient, adding to an earlier one
                gradient = _finish_upstream(tensor)
                tensor.grad = gradient if tensor.grad is None else Tensor(tensor.grad.data + gradient.data)
    finally:
        for tensor in touched:
            tensor._upstream = None


def _graph_order(output):
    """Every recorded tensor `output` depends on, parents before children (a topological sort)."""
    order, visited, stack = [], {id(output)}, [(output, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        stack.append((tensor, True))
        for parent in tensor.parents:
            if isinstance(parent, Tensor) and parent.grad_fn is not None and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, False))
    return order


def _finish_upstream(source):
    """A source's accumulated gradient as a fresh, writable tensor of its shape and dtype."""
    grad = source._upstream
    value = source.data
    if not isinstance(grad, np.ndarray) or grad.dtype != value.dtype:
        grad = np.asarray(grad, dtype=value.dtype)
    if grad.shape != value.shape:
        grad = np.broadcast_to(grad, value.shape)
    if not grad.flags.writeable:
        grad = grad.copy()
    return Tensor(grad)


class GradientTape:
    """Record the ops run inside a `with` block so their gradients can be taken.

    Trainable `Variable`s are watched automatically; call `tape.watch(x)` to
    also differentiate with respect to a plain tensor.

        with mlkit.GradientTape() as tape:
            predictions = model(x, training=True)
            loss = loss_fn(y, predictions)
        grads = tape.gradient(loss, model.trainable_variables)

    A tape can be asked for gradients once, unless it is `persistent=True`.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._used = False
        self._active = False
        self._start = 0
        self._nodes = None

    def __enter__(self):
        if _state.recording == 0:
            _state.nodes = []
        self._start = len(_state.nodes)
        _state.recording += 1
        self._active = True
        return self

    def __exit__(self, *exc_info):
        if self._active:
            self._nodes = _state.nodes[self._start:]
            _state.recording -= 1
            self._active = False
            if _state.recording == 0:
                _state.nodes = []
        return False

    def _recorded(self):
        return _state.nodes[self._start:] if self._active else (self._nodes or [])

    def stop_recording(self):
        """Context manager: ops inside it are not recorded."""
        return no_recording()

    def watch(self, tensor):
        """Differentiate with respect to `tensor` (a tensor or a list of them)."""
        for item in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(item, Tensor):
                raise TypeError(
                    f"GradientTape.watch expects mlkit tensors, got {type(item).__name__}. "
                    "Convert it first with `x = ops.convert_to_tensor(x)` and use that tensor."
                )
            item.requires_grad = True

    def gradient(self, target, sources, output_gradients=None):
        """Gradients of `target` with respect to `sources` (one tensor, or a list)."""
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape. "
                "Create the tape with `GradientTape(persistent=True)` to ask for several gradients."
            )
        self._used = True
        single = isinstance(sources, Tensor)
        source_list = [sources] if single else list(sources)
        for source in source_list:
            if not isinstance(source, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: every source must be an mlkit Variable or tensor, "
                    f"got {type(source).__name__}."
                )
        nodes = self._recorded()
        if isinstance(target, (list, tuple)):
            # Several targets: their gradients add up (no new ops, so this also
            # works after the `with` block has closed).
            seeds = [None] * len(target) if output_gradients is None else output_gradients
            grads = [None] * len(source_list)
            for one_target, seed in zip(target, seeds):
                for i, grad in enumerate(backpropagate(nodes, one_target, source_list, seed)):
                    if grad is not None:
                        grads[i] = grad if grads[i] is None else Tensor(grads[i].data + grad.data)
        else:
            grads = backpropagate(nodes, target, source_list, output_gradients)
        if not self.persistent and not self._active:
            self._nodes = None  # let the graph go
        return grads[0] if single else grads


class no_recording:
    """Context manager that pauses every recording tape (used for inference)."""

    def __enter__(self):
        self._saved = _state.recording
        _state.recording = 0
        return self

    def __exit__(self, *exc_info):
        _state.recording = self._saved
        return False


# Torch's name for the same thing (`torch.no_grad()` on Keras's torch backend):
# what runs inside, such as an optimizer step, is not recorded.
no_grad = no_recording


class enable_grad(GradientTape):
    """Record ops so that `loss.backward()` can follow them (torch's default mode).

    `fit` runs each `train_step` inside one, so a torch-style step works:

        with ops.enable_grad():
            loss = ops.mean(model(x) ** 2)
        loss.backward()
        model.trainable_variables[0].value.grad   # d loss / d kernel
    """


def stop_gradient(variable):
    """The same values as `variable`, but no gradient flows back through it."""
    from mlkit.ops.core import convert_to_tensor

    return Tensor(convert_to_tensor(variable).data)


def _call_gradient_function(grad_fn, upstream):
    """Call `grad_fn` the way it was written: `grad(dy)` or Keras's `grad(*args, upstream=None)`."""
    try:
        takes_upstream = "upstream" in inspect.signature(grad_fn).parameters
    except (TypeError, ValueError):
        takes_upstream = False
    return grad_fn(upstream=upstream) if takes_upstream else grad_fn(upstream)


def custom_gradient(f):
    """Decorate `f(*inputs) -> (outputs, grad_fn)` to set its gradient.

    `grad_fn` receives the gradient of the outputs -- as its one positional
    argument, `grad(dy)`, or as the keyword of Keras's `grad(*args,
    upstream=None)` -- and returns the gradient of each input (a tensor, or a
    tuple of them for several inputs).

        @ops.custom_gradient
        def clipped_identity(x):
            def grad(upstream):
                return ops.clip(upstream, -1.0, 1.0)
            return x, grad
    """
    from mlkit.ops.core import convert_to_tensor

    def wrapper(*inputs, **kwargs):
        with no_recording():
            outputs, grad_fn = f(*inputs, **kwargs)
        outputs = convert_to_tensor(outputs)
        if not any(needs_grad(x) for x in inputs):
            return outputs

        def backward(grad):
            input_grads = _call_gradient_function(grad_fn, Tensor(grad))
            if not isinstance(input_grads, (list, tuple)):
                input_grads = (input_grads,)
            if len(input_grads) != len(inputs):
                raise ValueError(
                    f"custom_gradient: the gradient function of {f.__name__} returned "
                    f"{len(input_grads)} gradients for {len(inputs)} inputs; return one per input."
                )
            return tuple(
                None if g is None else unbroadcast(np.asarray(getattr(g, "data", g)), np.shape(getattr(x, "data", x)))
                for g, x in zip(input_grads, inputs)
            )

        return record(outputs.data, inputs, backward)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper
