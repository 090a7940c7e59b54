"""Reverse-mode automatic differentiation, in one page.

Every op computes its NumPy result first. Then, only if a tape is recording
and some input needs a gradient, it calls `record(result, parents, backward)`:
the result remembers its parents and a `backward(grad)` function returning one
gradient per parent. `gradient()` walks that graph from the output back to the
sources in reverse topological order, summing the gradients that meet at a
node.

    >>> from mlkit import ops, Variable, GradientTape
    >>> w = Variable([1.0, 2.0])
    >>> with GradientTape() as tape:
    ...     loss = ops.sum(w * w)
    >>> tape.gradient(loss, w).numpy().tolist()   # d(w^2)/dw = 2w
    [2.0, 4.0]
"""

import numpy as np

from mlkit.ops.tensor import Tensor


class _TapeState:
    """How many tapes are recording right now (0 means: record nothing)."""

    recording = 0


_state = _TapeState()


def is_recording():
    return _state.recording > 0


def needs_grad(x):
    """True when `x` is a tensor whose gradient someone will ask for."""
    return _state.recording > 0 and isinstance(x, Tensor) and x.requires_grad


def record(value, parents, backward):
    """Wrap `value` in a tensor that remembers `parents` and `backward`."""
    return Tensor(value, parents, backward)


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


def _topological_order(output):
    """Nodes that lead to `output`, parents before children."""
    order, visited = [], set()
    stack = [(output, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if isinstance(parent, Tensor) and parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def gradient(output, sources, output_gradient=None):
    """Gradients of `output` with respect to each tensor in `sources`.

    A source that `output` does not depend on gets `None`, as in Keras.
    """
    if not isinstance(output, Tensor):
        return [None for _ in sources]
    if output_gradient is None:
        seed = np.ones_like(output.data)
    else:
        seed = np.asarray(getattr(output_gradient, "data", output_gradient), dtype=output.data.dtype)
    wanted = {id(source) for source in sources}
    grads = {id(output): seed}
    saved = _state.recording
    _state.recording = 0  # backward rules must not record a graph of their own
    try:
        for node in reversed(_topological_order(output)):
            grad = grads.get(id(node)) if id(node) in wanted else grads.pop(id(node), None)
            if grad is None or node.backward is None:
                continue
            for parent, parent_grad in zip(node.parents, node.backward(grad)):
                if parent_grad is None or not (isinstance(parent, Tensor) and parent.requires_grad):
                    continue
                key = id(parent)
                if key in grads:
                    grads[key] = grads[key] + parent_grad
                else:
                    grads[key] = parent_grad
    finally:
        _state.recording = saved
    results = []
    for source in sources:
        grad = grads.get(id(source))
        if grad is not None:
            grad = np.asarray(grad, dtype=source.data.dtype)
            if grad.shape != source.data.shape:
                grad = np.broadcast_to(grad, source.data.shape)
            if not grad.flags.writeable:
                grad = grad.copy()
            grad = Tensor(grad)
        results.append(grad)
    return results


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

    def __enter__(self):
        _state.recording += 1
        self._active = True
        return self

    def __exit__(self, *exc_info):
        if self._active:
            _state.recording -= 1
            self._active = False
        return False

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
        if isinstance(target, (list, tuple)):
            from mlkit.ops.math import add_n, sum as reduce_sum

            target = add_n([reduce_sum(t) for t in target])
        grads = gradient(target, source_list, output_gradients)
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


def stop_gradient(x):
    """The same values as `x`, but no gradient flows back through it."""
    from mlkit.ops.core import convert_to_tensor

    return Tensor(convert_to_tensor(x).data)


def custom_gradient(forward):
    """Decorate `forward(*inputs) -> (outputs, grad_fn)` to set its gradient.

    `grad_fn(upstream)` receives the gradient of the outputs and returns the
    gradient of each input (a tensor, or a tuple of them for several inputs).

        @ops.custom_gradient
        def clipped_identity(x):
            def grad(upstream):
                return ops.clip(upstream, -1.0, 1.0)
            return x, grad
    """
    from mlkit.ops.core import convert_to_tensor

    def wrapper(*inputs):
        with no_recording():
            outputs, grad_fn = forward(*inputs)
        outputs = convert_to_tensor(outputs)
        if not any(needs_grad(x) for x in inputs):
            return outputs

        def backward(grad):
            input_grads = grad_fn(Tensor(grad))
            if not isinstance(input_grads, (list, tuple)):
                input_grads = (input_grads,)
            if len(input_grads) != len(inputs):
                raise ValueError(
                    f"custom_gradient: the gradient function of {forward.__name__} returned "
                    f"{len(input_grads)} gradients for {len(inputs)} inputs; return one per input."
                )
            return tuple(
                None if g is None else unbroadcast(np.asarray(getattr(g, "data", g)), np.shape(getattr(x, "data", x)))
                for g, x in zip(input_grads, inputs)
            )

        return record(outputs.data, inputs, backward)

    wrapper.__name__ = getattr(forward, "__name__", "custom_gradient")
    wrapper.__doc__ = forward.__doc__
    return wrapper
