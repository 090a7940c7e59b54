"""Checks for notebook 06 (callbacks): an early-stopping rule and a learning-rate warm-up.

An early-stopping callback is driven through the hooks of a training whose
epochs end with scripted logs (`run_scripted_epochs`), so every case is
exact: which epoch it stops at, whether patience and `min_delta` are counted
right, which weights are left at the end. A warm-up callback runs in a real
`fit` on a tiny model, and the learning rate of every batch is recorded.

The wrong answers they catch, each named in the message: patience off by
one, a tie counted as an improvement, `wait` not reset on an improvement, comparing with the previous epoch
instead of the best, `min_delta` ignored or applied the wrong way, state kept
from an earlier `fit`, best weights kept as references (not copies) or never
restored; a warm-up counted with the per-epoch batch index, advanced twice per
batch, starting at 0, not capped at the target, or logged as a variable.

Each check observes the callback through `observing` (see probe_channel):
what a run did travels as plain data (epochs run, learning rates), and the
rule is applied to it by the grader.

    >>> from mlkit import callbacks
    >>> run = run_scripted_epochs(callbacks.EarlyStopping(monitor="val_loss", patience=1),
    ...                           [{"val_loss": v} for v in (1.0, 0.8, 0.9, 0.7)])
    >>> run.epochs_run, run.stopped
    (3, True)
"""

import itertools
from dataclasses import dataclass

import numpy as np

from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure
from mlkit.grading.probe_channel import RecordMismatch, observing

_BATCHES_PER_EPOCH = 2


# -- driving a callback through scripted epochs -----------------------------------------

@dataclass
class ScriptedRun:
    epochs_run: int  # how many epochs ended before training stopped (or the script ran out)
    stopped: bool  # whether the callback set model.stop_training
    weights_epoch: int  # the epoch whose weights the model holds after on_train_end


def _marker_model():
    """A one-weight model; its weight is set to the epoch number while it 'trains'."""
    import mlkit
    from mlkit import layers

    model = mlkit.Sequential([mlkit.Input(shape=(1,)), layers.Dense(1, use_bias=False)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _set_marker(model, epoch):
    model.set_weights([np.full((1, 1), float(epoch), dtype="float32")])


def run_scripted_epochs(callback, epoch_logs, model=None):
    """Call `callback`'s hooks as `fit` would, for epochs that end with `epoch_logs`.

    During epoch e the model's only weight is e (as if training had moved it),
    so `weights_epoch` tells which epoch's weights are left after on_train_end.
    """
    from mlkit.callbacks import CallbackList

    model = model or _marker_model()
    hooks = CallbackList([callback], model=model, verbose=0, epochs=len(epoch_logs), steps=_BATCHES_PER_EPOCH)
    model.stop_training = False
    hooks.on_train_begin({})
    epochs_run, logs = 0, {}
    for epoch, logs in enumerate(epoch_logs):
        hooks.on_epoch_begin(epoch, {})
        for batch in range(_BATCHES_PER_EPOCH):
            hooks.on_train_batch_begin(batch)
            _set_marker(model, epoch)
            hooks.on_train_batch_end(batch, {key: value for key, value in logs.items() if not key.startswith("val_")})
        logs = dict(logs)
        hooks.on_epoch_end(epoch, logs)
        epochs_run += 1
        if model.stop_training:
            break
    hooks.on_train_end(logs)
    weights_epoch = int(round(float(model.get_weights()[0].ravel()[0])))
    return ScriptedRun(epochs_run, bool(model.stop_training), weights_epoch)


def observed_run(probe, callback, epoch_logs):
    """`run_scripted_epochs(callback, epoch_logs)`, observed by `probe`: what the run did, as plain data."""
    facts = probe.value(lambda: _facts(run_scripted_epochs(callback, epoch_logs)))
    return ScriptedRun(*_plain_facts(facts))


def _facts(run):
    """What a run did, as plain data: (epochs run, whether it stopped, the epoch of the weights left)."""
    return int(run.epochs_run), bool(run.stopped), int(run.weights_epoch)


def _plain_facts(facts):
    """(epochs run, stopped, weights epoch) as reported, checked to be two whole numbers and a truth value."""
    if not (isinstance(facts, tuple) and len(facts) == 3 and type(facts[1]) is bool
            and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in (facts[0], facts[2]))):
        raise RecordMismatch("a training run that is not two whole numbers and a truth value")
    return int(facts[0]), facts[1], int(facts[2])


# -- the early-stopping rule, right and wrong ----------------------------------------------

def stop_epoch(values, patience, min_delta=0.0, mistake=None):
    """The epoch at which the early-stopping rule stops (None: it never does).

    `mistake` names a plausible wrong version of the rule (see MISTAKE_HINTS), or
    is a tuple of such names, made together.
    """
    mistakes = {mistake} if isinstance(mistake, str) else set(mistake or ())
    best = previous = np.inf
    wait = 0
    margin = 0.0 if "no_min_delta" in mistakes else -min_delta if "min_delta_sign" in mistakes else min_delta
    for epoch, value in enumerate(values):
        reference = previous if "previous" in mistakes else best
        improved = value <= reference - margin if "tie" in mistakes else value < reference - margin
        previous = value
        if improved:
            best = value
            if "no_reset" not in mistakes:
                wait = 0
            continue
        wait += 1
        if wait >= (patience + 1 if "off_by_one" in mistakes else patience):
            return epoch
    return None


MISTAKE_HINTS = {
    "off_by_one": "it stops one epoch late: stop as soon as self.wait >= self.patience.",
    "no_reset": "self.wait is not reset on an improvement: set self.wait = 0 whenever the value improves.",
    "previous": ("it compares with the previous epoch instead of the best value so far: keep "
                 "self.best, and improve only on `current < self.best - self.min_delta`."),
    "no_min_delta": "min_delta is ignored: an improvement must beat the best by more than min_delta "
                    "(current < self.best - self.min_delta).",
    "min_delta_sign": "min_delta is applied the wrong way: an improvement is current < self.best - self.min_delta.",
    "tie": ("a value equal to the best counts as an improvement (<=): an improvement must be strictly "
            "better, current < self.best - self.min_delta."),
}


def _describe_stop(epoch):
    return "never (it runs every epoch)" if epoch is None else f"at the end of epoch {epoch} (counting from 0)"


def check_stops_at(make_callback, values, *, patience, min_delta=0.0, monitor="val_loss", other_logs=None,
                   likely=tuple(MISTAKE_HINTS), judged_elsewhere=()):
    """The callback stops a training whose `monitor` values are `values` at the epoch
    the rule says (or never), and sets model.stop_training to do so.

    `other_logs` maps other log names to their values per epoch (the callback must ignore them);
    `likely` lists the mistakes (keys of MISTAKE_HINTS) this case is meant to recognize.
    `judged_elsewhere` lists mistakes that another test judges (say "off_by_one", "tie"):
    a callback whose only mistakes are among them passes here, so that one bug fails
    one test, and the hint here never blames a part that is right (a correct min_delta).
    """
    expected = stop_epoch(values, patience, min_delta)
    conventions = [combination for size in range(len(judged_elsewhere) + 1)
                   for combination in itertools.combinations(judged_elsewhere, size)]
    epoch_logs = [{monitor: value, **{key: series[e] for key, series in (other_logs or {}).items()}}
                  for e, value in enumerate(values)]
    with observing("check_stops_at") as probe:
        callback = probe.handle(make_callback)
        name = probe.value(lambda: type(callback).__name__)
        run = observed_run(probe, callback, epoch_logs)
    got = run.epochs_run - 1 if run.stopped else None
    if got in [stop_epoch(values, patience, min_delta, convention) for convention in conventions]:
        return
    setting = f"patience={patience}" + (f", min_delta={min_delta}" if min_delta else "")
    checked = f"when {name}({setting}) stops a training where {monitor} = {list(values)}"
    matching = [MISTAKE_HINTS[m] for m in likely
                if any(stop_epoch(values, patience, min_delta, (m, *convention)) == got
                       for convention in conventions)]
    hint = "\nOr: ".join(dict.fromkeys(matching)) or None
    if got is None and hint is None:
        hint = ("training never stopped: when self.wait reaches self.patience, set "
                "self.model.stop_training = True (on the model, not on the callback).")
    if other_logs and hint is None:
        hint = f"read the monitored value from the logs with self.monitor: logs[self.monitor] (here {monitor!r})."
    raise GradingFailure(checked, expected=_describe_stop(expected),
                         got=_describe_stop(got), hint=hint)


def check_restores_best_weights(make_callback, values, *, restore, monitor="val_loss"):
    """After training on scripted `values`, the model holds the weights of the best epoch
    (restore=True) or of the last epoch run (restore=False)."""
    with observing("check_restores_best_weights") as probe:
        callback = probe.handle(make_callback)
        name = probe.value(lambda: type(callback).__name__)
        run = observed_run(probe, callback, [{monitor: value} for value in values])
    last = run.epochs_run - 1
    best = int(np.argmin(values[:run.epochs_run]))
    expected = best if restore else last
    if run.weights_epoch == expected:
        return
    stopped = f", stopped early after epoch {last}" if run.epochs_run < len(values) else ""
    checked = (f"which epoch's weights the model holds after training with {name}(restore_best_weights={restore}) "
               f"on {monitor} = {list(values)}{stopped}")
    if not restore:
        hint = "with restore_best_weights=False, leave the weights as training left them."
    elif run.weights_epoch == last:
        hint = ("the last epoch's weights are left: keep a copy, self.best_weights = self.model.get_weights(), "
                "only when the value improves (self.model.weights are the variables themselves, which keep "
                "changing), and put it back in on_train_end with self.model.set_weights(self.best_weights), "
                "whether or not training stopped early.")
    else:
        hint = "keep the weights of the epoch with the best value: copy them when the value improves."
    raise GradingFailure(checked, expected=f"the weights of epoch {expected}", got=f"the weights of epoch {run.weights_epoch}",
                         hint=hint)


def check_fresh_start(make_callback, first_values, second_values, *, patience, monitor="val_loss"):
    """Used for a second fit, the same callback behaves as a new one (its state is reset
    in on_train_begin).

    The second fit is compared with a new callback's run on the same values, so a
    stopping rule that is wrong in another way (judged by check_stops_at) does not
    fail here too.
    """
    with observing("check_fresh_start") as probe:
        callback = probe.handle(make_callback)
        name = probe.value(lambda: type(callback).__name__)
        observed_run(probe, callback, [{monitor: value} for value in first_values])
        second = observed_run(probe, callback, [{monitor: value} for value in second_values])
        fresh = observed_run(probe, probe.handle(make_callback), [{monitor: value} for value in second_values])
    expected = fresh.epochs_run - 1 if fresh.stopped else None
    got = second.epochs_run - 1 if second.stopped else None
    if got != expected:
        raise GradingFailure(
            f"a second fit with the same {name}(patience={patience}), where "
            f"{monitor} = {list(second_values)} (the first fit ended with {monitor} = {first_values[-1]})",
            expected=_describe_stop(expected), got=_describe_stop(got),
            hint="the state of the first fit was kept: reset self.wait, self.best (and the best weights) in "
                 "on_train_begin, which runs at the start of every fit.",
        )


# -- a learning-rate warm-up -----------------------------------------------------------------

def record_learning_rates(callback, *, epochs, steps_per_epoch, initial_learning_rate=0.5, fits=1):
    """Fit a tiny model with `callback`; return (the learning rate of every training batch,
    the last fit's History, the optimizer's learning rate at the end)."""
    import mlkit
    from mlkit import callbacks, layers, optimizers

    model = mlkit.Sequential([mlkit.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=initial_learning_rate), loss="mse")
    rates = []
    recorder = callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: rates.append(float(np.asarray(model.optimizer.learning_rate))))
    x = np.zeros((steps_per_epoch * 2, 1), dtype="float32")
    history = None
    for _ in range(fits):
        history = model.fit(x, x, batch_size=2, epochs=epochs, shuffle=False, verbose=0, callbacks=[callback, recorder])
    return rates, history, float(np.asarray(model.optimizer.learning_rate))


def warmup_rates(target, warmup_steps, epochs, steps_per_epoch, mistake=None):
    """The learning rate of each training batch under a linear warm-up (or a wrong version of it)."""
    rates = []
    for epoch in range(epochs):
        for batch in range(steps_per_epoch):
            step = epoch * steps_per_epoch + batch
            count = {
                None: step + 1, "batch_index": batch + 1, "double": 2 * step + 1, "double_late": 2 * step + 2,
                "from_zero": step, "never": 1, "per_epoch": epoch + 1, "epoch_start": epoch * steps_per_epoch + 1,
            }.get(mistake, step + 1)
            fraction = count / warmup_steps
            rates.append(target * (fraction if mistake == "no_cap" else min(1.0, fraction)))
    return rates


WARMUP_HINTS = {
    "batch_index": ("the warm-up starts again at every epoch: `batch` restarts at 0 each epoch. Count the "
                    "batches yourself (self.step, set to 0 in on_train_begin, + 1 after every batch)."),
    "double": "the step counter advances twice per batch: add 1 in one hook only (on_train_batch_end).",
    "double_late": ("the step counter advances twice per batch (once before the rate is set): add 1 in one "
                    "hook only, on_train_batch_end."),
    "from_zero": "the first batch gets a learning rate of 0: use (self.step + 1) / self.warmup_steps.",
    "never": "the step counter never advances: add 1 to self.step in on_train_batch_end.",
    "no_cap": "the rate keeps growing after the warm-up: cap the fraction with min(1.0, ...).",
    "per_epoch": "the rate changes once per epoch: set it before every batch, in on_train_batch_begin.",
    "epoch_start": "the rate is set once per epoch (on_epoch_begin?): set it before every batch, in on_train_batch_begin.",
}


def check_warmup_rates(make_callback, *, target, warmup_steps, epochs, steps_per_epoch, fits=1):
    """Every training batch runs at target * min(1, (step + 1) / warmup_steps), step counting
    the batches since the start of the fit; the rate ends at the target."""
    initial = 0.5
    expected = warmup_rates(target, warmup_steps, epochs, steps_per_epoch) * fits
    mistakes = {hint: warmup_rates(target, warmup_steps, epochs, steps_per_epoch, mistake) * fits
                for mistake, hint in WARMUP_HINTS.items()}
    mistakes["the learning rate is never changed: set self.model.optimizer.learning_rate in "
             "on_train_batch_begin."] = [initial] * len(expected)
    if fits > 1:
        mistakes["the second fit goes on from where the first one stopped: set self.step = 0 in "
                 "on_train_begin, which runs at the start of every fit."] = warmup_rates(
            target, warmup_steps, epochs * fits, steps_per_epoch)
    with observing("check_warmup_rates") as probe:
        callback = probe.handle(make_callback)
        name = probe.value(lambda: type(callback).__name__)
        rates, final = probe.value(lambda: _rates_and_final(record_learning_rates(
            callback, epochs=epochs, steps_per_epoch=steps_per_epoch, initial_learning_rate=initial, fits=fits)))
        what = (f"the learning rate of each of the {len(expected)} training batches with {name}(target_learning_rate={target}, "
                f"warmup_steps={warmup_steps}), {epochs} epochs of {steps_per_epoch} batches" + (f", fit {fits} times" if fits > 1 else ""))
        # Judged inside the block: the checks below judge these plain values, not new ones.
        check_close(rates, expected, what, rtol=1e-5, atol=1e-7, mistakes=mistakes)
        check_close(final, target, f"the optimizer's learning rate after the warm-up of {name}",
                    hint="after warmup_steps batches the learning rate stays at the target: min(1.0, ...).")


def _rates_and_final(recorded):
    rates, _, final = recorded
    return rates, final


def check_warmup_logs(make_callback, *, target, warmup_steps, epochs, steps_per_epoch):
    """History records the learning rate of each epoch (the one of its last batch), as numbers."""
    with observing("check_warmup_logs") as probe:
        callback = probe.handle(make_callback)
        name = probe.value(lambda: type(callback).__name__)
        rates, keys, logged = probe.value(lambda: _logged_rates(
            record_learning_rates(callback, epochs=epochs, steps_per_epoch=steps_per_epoch)))
        if logged is None:
            raise GradingFailure(
                f"the keys of history.history after fit with {name}", expected='a "learning_rate" entry',
                got=keys,
                hint='in on_epoch_end, write logs["learning_rate"] = float(self.model.optimizer.learning_rate).',
            )
        for type_name, number in logged:
            if number is None:
                raise GradingFailure(
                    f'the values of history.history["learning_rate"] with {name}', expected="numbers (floats)",
                    got=f"a {type_name}",
                    hint="store a number, float(self.model.optimizer.learning_rate): the optimizer's learning rate "
                         "is a variable that keeps changing, so every epoch would show its final value.",
                )
        numbers = [number for _, number in logged]
        expected = [rates[(epoch + 1) * steps_per_epoch - 1] for epoch in range(epochs)]
        check_close(numbers, expected, f'history.history["learning_rate"] with {name} (the rate of each epoch\'s last batch)',
                    rtol=1e-5, atol=1e-7,
                    hint='write the current rate in on_epoch_end: logs["learning_rate"] = '
                         'float(self.model.optimizer.learning_rate).')


def _logged_rates(recorded):
    """(the rate of every batch, the keys of History, and per epoch the type of the logged
    learning rate and its value when it is a number: None when nothing was logged)."""
    rates, history, _ = recorded
    logged = history.history.get("learning_rate")
    if logged is None:
        return rates, list(history.history), None
    return rates, list(history.history), [(type(value).__name__, _number_or_none(value)) for value in logged]


def _number_or_none(value):
    """A logged learning rate as a float; None for what is not a number (a variable keeps changing)."""
    if not isinstance(value, (int, float, np.number, np.ndarray)) and not hasattr(value, "data") \
            or hasattr(value, "assign"):
        return None
    return float(np.asarray(value if isinstance(value, np.ndarray) else getattr(value, "data", value)))
