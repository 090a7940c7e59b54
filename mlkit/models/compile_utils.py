"""What `compile(loss=..., metrics=...)` turns into.

`CompiledLoss` maps the user's loss argument (one loss, a list per output,
or a dict by output name, with optional `loss_weights`) onto the model's
outputs. `CompiledMetrics` does the same for metrics and is itself a metric
named "compile_metrics" whose `result()` is a dict, so a custom `train_step`
can treat it like any other entry of `model.metrics`.
"""


def _per_output(argument, output_names, what):
    """The user's argument as a list with one entry per output."""
    count = len(output_names)
    if isinstance(argument, dict):
        unknown = set(argument) - set(output_names)
        if unknown:
            raise ValueError(
                f"compile(): {what} has keys {sorted(unknown)} that are not output names. "
                f"The model's outputs are named {output_names}."
            )
        return [argument.get(name) for name in output_names]
    if isinstance(argument, (list, tuple)) and count == 1 and len(argument) == 1 and what != "metrics":
        return list(argument)
    if isinstance(argument, (list, tuple)) and count > 1:
        if len(argument) != count:
            raise ValueError(
                f"compile(): {what} is a list of {len(argument)} entries, but the model has "
                f"{count} outputs ({output_names}). Give one entry per output, or a dict."
            )
        return list(argument)
    return [argument] * count


class CompiledLoss:
    def __init__(self, loss, loss_weights, output_names):
        from mlkit import losses

        self.output_names = list(output_names)
        self._identifiers = _per_output(loss, self.output_names, "loss")
        self.losses = None  # resolved on the first batch: 'crossentropy' depends on the shapes
        weights = _per_output(loss_weights, self.output_names, "loss_weights") if loss_weights is not None else [1.0] * len(self.output_names)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        self.last_values = {}

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.losses is None:
            from mlkit import losses

            self.losses = [
                losses.resolve_loss(identifier, true, pred)
                for identifier, true, pred in zip(
                    self._identifiers, _as_list(y_true, self.output_names), _as_list(y_pred, self.output_names)
                )
            ]
        if len(self.output_names) == 1:  # the usual case: one output, nothing to line up
            return self._output_loss(0, y_true, y_pred, sample_weight)
        true_list = _as_list(y_true, self.output_names)
        pred_list = _as_list(y_pred, self.output_names)
        weight_list = _as_list(sample_weight, self.output_names) if sample_weight is not None else [None] * len(pred_list)
        total = None
        self.last_values = {}
        for index, (true, pred, sw) in enumerate(zip(true_list, pred_list, weight_list)):
            term = self._output_loss(index, true, pred, sw)
            if term is not None:
                total = term if total is None else total + term
        return total

    def _output_loss(self, index, y_true, y_pred, sample_weight):
        """The weighted loss of one output (None if that output has no loss)."""
        loss, name = self.losses[index], self.output_names[index]
        if loss is None:
            return None
        if y_true is None:
            raise ValueError(
                f"The model has a loss for output {name!r} but no target was given for it: "
                "pass y for every output that has a loss."
            )
        value = loss(y_true, y_pred, sample_weight=sample_weight)
        if len(self.output_names) > 1:
            self.last_values[f"{name}_loss"] = value
        weight = self.loss_weights[index]
        return value if weight == 1.0 else value * weight


def _as_list(values, output_names):
    if len(output_names) == 1:
        return [values]
    if isinstance(values, dict):
        return [values.get(name) for name in output_names]
    if isinstance(values, (list, tuple)):
        return list(values)
    return [values] * len(output_names)


class CompiledMetrics:
    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        self._spec = (metrics, weighted_metrics)
        self.metrics = None  # [(output index, metric, weighted)], made on the first batch

    @property
    def built(self):
        return self.metrics is not None

    def _build(self, y_true, y_pred):
        from mlkit import metrics as metrics_module

        metrics, weighted = self._spec
        self.metrics = []
        true_list = _as_list(y_true, self.output_names)
        pred_list = _as_list(y_pred, self.output_names)
        for is_weighted, spec in ((False, metrics), (True, weighted)):
            if spec is None:
                continue
            if len(self.output_names) > 1 and isinstance(spec, (list, tuple)) and spec and all(
                isinstance(s, (list, tuple)) or s is None for s in spec
            ):
                per_output = list(spec)
            elif isinstance(spec, dict):
                per_output = _per_output(spec, self.output_names, "metrics")
            else:
                per_output = [spec] * len(self.output_names)
            for index, entries in enumerate(per_output):
                if entries is None:
                    continue
                for entry in entries if isinstance(entries, (list, tuple)) else [entries]:
                    metric = metrics_module.resolve_metric(entry, true_list[index], pred_list[index])
                    if len(self.output_names) > 1:
                        metric.name = f"{self.output_names[index]}_{metric.name}"
                    self.metrics.append((index, metric, is_weighted))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.metrics is None:
            self._build(y_true, y_pred)
        true_list = _as_list(y_true, self.output_names)
        pred_list = _as_list(y_pred, self.output_names)
        weight_list = _as_list(sample_weight, self.output_names) if sample_weight is not None else None
        for index, metric, weighted in self.metrics:
            weight = weight_list[index] if (weighted and weight_list is not None) else None
            metric.update_state(true_list[index], pred_list[index], sample_weight=weight)

    def result(self):
        if self.metrics is None:
            return {}
        return {metric.name: metric.result() for _, metric, _ in self.metrics}

    def reset_state(self):
        for _, metric, _ in self.metrics or []:
            metric.reset_state()

    @property
    def variables(self):
        return [v for _, metric, _ in self.metrics or [] for v in metric.variables]

