"""`model.summary()`: one row per layer — name (type), output shape, parameters —
then the totals, split into trainable and non-trainable.

A layer's parameter count is the number of scalars in its weights; a layer
used twice is counted once in the totals.
"""

import numpy as np


def _format_shape(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError):
        return "?"
    return str(shape)


def _count(weights):
    return int(sum(np.prod(w.shape, dtype=np.int64) for w in weights))


def _format_bytes(weights):
    size = sum(np.prod(w.shape, dtype=np.int64) * np.dtype(w.dtype).itemsize for w in weights)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _connections(model, layer):
    nodes = layer.__dict__.get("_inbound_nodes") or []
    names = []
    for node in nodes:
        if any(node is n for n in getattr(model, "_nodes", [])):
            names += [f"{t._keras_history[0].name}[{t._keras_history[1]}][{t._keras_history[2]}]" for t in node.input_tensors]
    return ", ".join(names) or "-"


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    print_fn = print_fn or print
    layers = model.layers
    show_connections = hasattr(model, "_nodes") and any(len(n.input_tensors) > 1 for n in model._nodes)
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if show_connections else [])
    if show_trainable:
        header.append("Trainable")
    rows = []
    for layer in layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _format_shape(layer), params]
        if show_connections:
            row.append(_connections(model, layer))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i]) for i in range(len(header))]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - 3 * len(widths) - 1)

    def line(left, middle, right, fill):
        return left + middle.join(fill * (w + 2) for w in widths) + right

    def cells(values, align):
        parts = []
        for i, (value, width) in enumerate(zip(values, widths)):
            parts.append(f" {value:>{width}} " if align[i] == ">" else f" {value:<{width}} ")
        return "│" + "│".join(parts) + "│"

    align = ["<", "<", ">"] + ["<"] * (len(header) - 3)
    print_fn(f'Model: "{model.name}"')
    print_fn(line("┌", "┬", "┐", "─"))
    print_fn(cells(header, align))
    print_fn(line("├", "┼", "┤", "─"))
    for index, row in enumerate(rows):
        print_fn(cells(row, align))
    print_fn(line("└", "┴", "┘", "─"))
    if not model.built:
        print_fn(" The model is not built yet: parameter counts appear once it has seen data.")
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    total = trainable + non_trainable
    print_fn(f" Total params: {_count(total):,} ({_format_bytes(total)})")
    print_fn(f" Trainable params: {_count(trainable):,} ({_format_bytes(trainable)})")
    print_fn(f" Non-trainable params: {_count(non_trainable):,} ({_format_bytes(non_trainable)})")
