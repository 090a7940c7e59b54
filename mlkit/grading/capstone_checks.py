"""Checks for notebook 09 (the capstone): a custom convolutional block, a classifier,
fine-tuning with frozen layers and a decaying learning rate, callbacks, a trained model
graded on held-out digits, and a model saved and loaded again.

The wrong answers they catch: a block whose sublayers are not tracked or are made in
`call`, without `padding="same"`, with the ReLU before the normalization, that forces
(or drops) the `training` flag of its BatchNormalization, that a frozen model still
changes; `get_config` missing an argument; a classifier missing a layer; freezing the
wrong layers or forgetting to recompile; a schedule without `staircase` or with the
wrong numbers; callbacks watching the wrong value or saving outside the folder; a model
trained too briefly; a reloaded model that is the original object or lost its weights.

Each check observes the learner's objects through `probe_channel.observing` (at
autograde, what it saw leaves the sandbox as plain data and is judged by the trusted
grader). The held-out digits' labels are never among the observations: the classifier's
predictions are, and the grader reads the labels itself (`held_out_labels`).

Test cells read the learner's trained model with `trained_object`, which says "not
done yet" when the cell that should have made it stopped at its stub:

    with grading.exercise("the classifier reaches 95% on held-out digits"):
        check_held_out_accuracy(trained_object("classifier", "train_classifier"), minimum=0.95)

A passing check says nothing; a failing one explains itself:

    >>> from mlkit import optimizers
    >>> schedule = optimizers.schedules.ExponentialDecay(1e-4, decay_steps=36, decay_rate=0.9, staircase=True)
    >>> check_schedule(optimizers.Adam(learning_rate=schedule), 1e-4, 36, 0.9)
    >>> try:
    ...     check_schedule(optimizers.Adam(1e-4), 1e-4, 36, 0.9)
    ... except GradingFailure as failure:
    ...     print(failure.got)
    a fixed learning rate (0.0001)
"""

import os
import re
import sys
import types

import numpy as np

from mlkit.grading import cell_history, held_out
from mlkit.grading.checks import check_close, check_equal
from mlkit.grading.failure import GradingFailure, UnfinishedExercise
from mlkit.grading.layer_helpers import as_numpy, call_layer, class_name, new_layer, sample_inputs
from mlkit.grading.probe_channel import observing

_WEIGHTS_SEED = 7
_STATISTICS = ("moving_mean", "moving_variance")


# -- the learner's objects ---------------------------------------------------------------

def trained_object(name, made_by):
    """The notebook's variable `name` (e.g. the trained model), or an explanation of why it is
    missing: "not done yet" if the cell assigning it stopped at the stub of `made_by`."""
    namespace = sys._getframe(1).f_globals
    with observing("trained_object") as probe:
        return probe.handle(lambda: _notebook_variable(namespace, name, made_by))


def _notebook_variable(namespace, name, made_by):
    if name in namespace:
        return namespace[name]
    error = _error_of_cell_assigning(name)
    if isinstance(error, NotImplementedError):
        raise UnfinishedExercise(f"`{made_by}`")
    if error is not None:
        raise GradingFailure(
            problem=f"`{name}` is not defined: the cell that assigns it stopped with an error, so it never "
                    f"ran to the end.\nThat cell said: {type(error).__name__}: {error}",
            hint=f"fix that cell (and `{made_by}`) and run it again, then run this test cell.",
        )
    problem, hint = cell_history.explain_missing_name(name)
    raise GradingFailure(problem=problem, hint=hint)


def _error_of_cell_assigning(name):
    """How the last cell that assigns `name` (also as one target of `a, name = ...`) ended."""
    pattern = re.compile(rf"^[ \t]*(?:[\w\t ]+,[\t ]*)*{re.escape(name)}[\t ]*(?:,[\w\t ]*)*=(?!=)", re.M)
    for source, error in reversed(cell_history._records):  # the cells run so far, newest first
        if pattern.search(source):
            return error
    return None


def held_out_images():
    """The digits the classifier is graded on, as the notebook prepares them: images (n, 8, 8, 1) in
    [0, 1]. The test split of the digits, or at autograde the instructor's private digits (`held_out`)."""
    return held_out.images()


def held_out_labels():
    """The integer labels of `held_out_images`, read by the grader's own process: at autograde the
    checks send the learner's predictions, and these labels judge them outside the sandbox."""
    return held_out.labels()


# -- ConvBlock ---------------------------------------------------------------------------

def _reference_block(filters, kernel_size, input_shape):
    from mlkit import layers
    from mlkit.models import Sequential

    reference = Sequential([
        layers.Input(shape=tuple(input_shape[1:])),
        layers.Conv2D(filters, kernel_size, padding="same"),
        layers.BatchNormalization(),
        layers.ReLU(),
    ])
    return reference


def _randomize_block(layer):
    rng = np.random.default_rng(_WEIGHTS_SEED)
    for variable in layer.weights:
        if variable.name == "moving_variance":
            value = rng.uniform(0.5, 2.0, size=variable.shape)
        else:
            value = 0.5 * rng.normal(size=variable.shape)
        variable.assign(value.astype(variable.dtype))


def _block_weights(block):
    """In the learner's kernel: [(name, shape)] of the block's weights."""
    return [(str(v.name), tuple(int(size) for size in v.shape)) for v in block.weights]


def _weights_text(weights):
    return ", ".join(f"{name} {tuple(shape)}" for name, shape in weights) or "no weights"


def check_conv_block_output(make_block, filters, kernel_size, input_shape):
    """The block computes ReLU(BatchNormalization(Conv2D(filters, kernel_size, padding="same")))
    with its own weights, at inference and in training."""
    x = sample_inputs(input_shape, seed=21)
    with observing("check_conv_block_output") as probe:
        block = probe.handle(lambda: new_layer(make_block))
        name = probe.value(lambda: class_name(block))
        probe.handle(lambda: call_layer(block, x, "the first call"))
        reference = _reference_block(filters, kernel_size, input_shape)
        expected_shapes = [tuple(v.shape) for v in reference.weights]
        weights = probe.value(lambda: _block_weights(block))
        if [shape for _, shape in weights] != expected_shapes:
            raise GradingFailure(
                f"the weights of {name}({filters}, {kernel_size}) on inputs of shape {tuple(input_shape)}",
                expected=", ".join(f"{v.name} {tuple(v.shape)}" for v in reference.weights),
                got=_weights_text(weights),
                hint="create the Conv2D, then the BatchNormalization (and the ReLU) in __init__, as attributes.",
            )
        probe.handle(lambda: _randomize_block(block))
        reference.set_weights([np.asarray(value) for value in probe.value(lambda: block.get_weights())])
        for during, kwargs in [("at inference", {}), ("in training (training=True)", {"training": True})]:
            got = np.asarray(probe.value(lambda: as_numpy(call_layer(block, x, f"a call {during}", **kwargs))))
            _compare_with_reference(got, reference, x, kwargs, (
                f"the output of {name}({filters}, {kernel_size}) {during}, for inputs of shape "
                f"{tuple(input_shape)} (weights set to random values)"))


def _compare_with_reference(got, reference, x, kwargs, checked):
    """`got` (the block's output on `x`) against the reference block's, naming the likely mistake."""
    want = as_numpy(reference(x, **kwargs))
    if got.shape != want.shape:
        hint = ("the output has fewer positions than the input: create the Conv2D with padding='same'."
                if len(got.shape) == 4 and got.shape[1] < want.shape[1] else None)
        raise GradingFailure(f"{checked}: the shape", expected=want.shape, got=got.shape, hint=hint)
    if "training" not in kwargs:
        reference_conv, reference_norm = reference.layers[0], reference.layers[1]
        convolved = reference_conv(x)
        conv_values = as_numpy(convolved).astype("float64")
        gamma, beta = (np.asarray(v) for v in reference_norm.get_weights()[:2])
        axes = tuple(range(conv_values.ndim - 1))
        batch_statistics = np.maximum(
            gamma * (conv_values - conv_values.mean(axis=axes)) / np.sqrt(conv_values.var(axis=axes)
                                                                           + reference_norm.epsilon) + beta, 0)
        mistakes = {
            "the BatchNormalization runs in training mode at inference (batch statistics): don't pass "
            "training=True to it; pass the block's own flag, self.bn(x, training=training).": batch_statistics,
            "the ReLU comes before the normalization: conv, then batch normalization, then ReLU.":
                as_numpy(reference_norm(reference.layers[2](convolved))),
            "the ReLU is missing: return self.activation(x) after the normalization.":
                as_numpy(reference_norm(convolved)),
            "the normalization is skipped: x = self.bn(x) between the convolution and the ReLU.":
                np.maximum(as_numpy(convolved), 0),
        }
        hint = next((text for text, wrong in mistakes.items() if np.allclose(got, wrong, atol=1e-4)), None)
    else:
        hint = ("in training the BatchNormalization must normalize with the batch statistics: let the "
                "training flag reach it (don't pass training=False to it).")
    check_close(got, want, checked, rtol=1e-4, atol=1e-4, hint=hint)


def check_training_reaches_batch_norm(make_block, input_shape):
    """`block(x, training=True)` updates the moving statistics of the block's batch
    normalization; `block(x)` and `block(x, training=False)` leave them alone."""
    x = sample_inputs(input_shape, seed=22) * 2.0 + 1.0
    with observing("check_training_reaches_batch_norm") as probe:
        block = probe.handle(lambda: new_layer(make_block))
        name = probe.value(lambda: class_name(block))
        probe.handle(lambda: call_layer(block, x, "the first call"))
        statistics = probe.handle(lambda: [v for v in block.weights if v.name in _STATISTICS])
        weights = probe.value(lambda: _block_weights(block))
        if sum(weight_name in _STATISTICS for weight_name, _ in weights) != 2:
            raise GradingFailure(
                f"the moving statistics of {name}",
                expected="moving_mean and moving_variance (of its BatchNormalization)", got=_weights_text(weights),
                hint="keep a layers.BatchNormalization() as an attribute, created in __init__.",
            )
        for during, kwargs in [("without `training`", {}), ("with training=False", {"training": False})]:
            before = probe.value(lambda: [v.numpy().copy() for v in statistics])
            probe.handle(lambda: call_layer(block, x, f"a call {during}", **kwargs))
            after = probe.value(lambda: [v.numpy().copy() for v in statistics])
            if any(not np.array_equal(new, old) for new, old in zip(after, before)):
                raise GradingFailure(
                    f"the moving statistics of {name} after a call {during}", expected="unchanged", got="updated",
                    hint="the BatchNormalization runs in training mode at inference: don't pass training=True to "
                         "it; pass the block's own flag (self.bn(x, training=training)) or nothing at all.",
                )
        before = probe.value(lambda: [v.numpy().copy() for v in statistics])
        probe.handle(lambda: call_layer(block, x, "a call with training=True", training=True))
        after = probe.value(lambda: [v.numpy().copy() for v in statistics])
    if all(np.array_equal(new, old) for new, old in zip(after, before)):
        raise GradingFailure(
            f"the moving statistics of {name} after a call with training=True", expected="updated",
            got="unchanged",
            hint="the training flag does not reach the BatchNormalization: don't pass training=False to it; "
                 "pass the block's own flag (self.bn(x, training=training)) or nothing at all.",
        )


def check_freezing(make_block, input_shape, *, epochs=2):
    """A frozen block trains nothing, inside `fit` too (its batch normalization keeps its
    statistics); unfrozen again, it trains."""
    x = sample_inputs(input_shape, seed=23)
    y = np.random.default_rng(24).normal(size=(len(x), 3)).astype("float32")
    with observing("check_freezing") as probe:
        block = probe.handle(lambda: new_layer(make_block))
        name = probe.value(lambda: class_name(block))
        probe.handle(lambda: call_layer(block, x, "the first call"))
        flags = probe.value(lambda: [bool(v.trainable) for v in block.weights])
        probe.handle(lambda: setattr(block, "trainable", False))
        still_trainable = probe.value(lambda: [str(v.name) for v in block.trainable_weights])
        if still_trainable:
            raise GradingFailure(
                f"{name}.trainable_weights after block.trainable = False",
                expected="[] (a frozen block trains nothing)", got=", ".join(still_trainable),
            )
        model = probe.handle(lambda: _model_around(block, input_shape))
        before = probe.handle(lambda: [v.numpy().copy() for v in block.weights])
        changed = probe.value(lambda: _changed_by_fit(model, block, before, x, y, epochs))
        if changed:
            raise GradingFailure(
                f"the weights of a frozen {name} (block.trainable = False) after {epochs} epochs of fit()",
                expected="all unchanged, the moving statistics too", got=f"{', '.join(changed)} changed",
                hint="a frozen block must change nothing: keep its weights in standard sublayers (Conv2D, "
                     "BatchNormalization) created in __init__, which follow the block's trainable flag; a "
                     "frozen BatchNormalization runs in inference mode.",
            )
        probe.handle(lambda: setattr(block, "trainable", True))
        flags_again = probe.value(lambda: [bool(v.trainable) for v in block.weights])
        if flags_again != flags:
            raise GradingFailure(
                f"which weights of {name} are trainable after freezing and unfreezing it",
                expected=flags, got=flags_again,
            )
        probe.handle(lambda: model.compile(optimizer=_adam(), loss="mse"))
        changed = probe.value(lambda: _changed_by_fit(model, block, before, x, y, 1))
    if not changed:
        raise GradingFailure(
            f"the weights of {name} unfrozen again (trainable = True), after fit()", expected="changed",
            got="unchanged", hint="the block's weights must be trainable: let the sublayers create them.",
        )


def _adam():
    import mlkit

    return mlkit.optimizers.Adam(0.05)


def _model_around(block, input_shape):
    """In the learner's kernel: a small compiled model holding `block`."""
    import mlkit
    from mlkit import layers

    model = mlkit.Sequential([layers.Input(shape=tuple(input_shape[1:])), block, layers.Flatten(), layers.Dense(3)])
    model.compile(optimizer=_adam(), loss="mse")
    return model


def _changed_by_fit(model, block, before, x, y, epochs):
    """In the learner's kernel: the names of the block's weights whose values `fit` moved from `before`."""
    model.fit(x, y, epochs=epochs, batch_size=len(x), verbose=0)
    return [str(v.name) for v, value in zip(block.weights, before) if not np.array_equal(v.numpy(), value)]


# -- the classifier ----------------------------------------------------------------------

def check_layer_types(model, expected, checked):
    """`model.layers` are instances of the `expected` classes, in order."""
    with observing("check_layer_types") as probe:
        got, want, instances = probe.value(lambda: _layer_types(model, expected))
    if got == want and instances is True:
        return
    missing = [name for name in want if want.count(name) > got.count(name)]
    extra = [name for name in got if got.count(name) > want.count(name)]
    if missing:
        hint = f"{missing[0]} is missing."
    elif extra:
        hint = f"{extra[0]} is one layer too many."
    else:
        hint = "the layers are in the wrong order."
    raise GradingFailure(checked, expected=", ".join(want), got=", ".join(got) or "no layers", hint=hint)


def _layer_types(model, expected):
    """In the learner's kernel: the class names of the model's layers, those of `expected`
    (which holds the learner's own classes), and whether each layer is an instance of its class."""
    layers = list(getattr(model, "layers", []))
    got = [type(layer).__name__ for layer in layers]
    instances = len(layers) == len(expected) and all(isinstance(layer, cls) for layer, cls in zip(layers, expected))
    return got, [cls.__name__ for cls in expected], instances


def check_parameter_count(weights, expected, checked, *, hint=None):
    """The number of values in `weights` (a list of the learner's variables, e.g. a model's
    `non_trainable_weights`) is `expected`: counted where the learner's objects are."""
    with observing("check_parameter_count") as probe:
        count = probe.value(lambda: sum(int(np.prod(tuple(weight.shape))) for weight in weights))
        check_equal(count, expected, checked, hint=hint)  # (a check inside a check only judges)


# -- fine-tuning -------------------------------------------------------------------------

def check_returns_the_model(returned, model, checked, *, hint=None):
    """`returned` (what a learner's function returned) is `model` itself, not a copy."""
    with observing("check_returns_the_model") as probe:
        same = probe.value(lambda: returned is model)
        description = probe.value(lambda: None if returned is model else repr(returned)[:300])
    if same is not True:
        raise GradingFailure(checked, expected="the model", got=str(description), hint=hint)


def check_fit_trains_the_head(model, n_frozen, x, y, *, epochs=1, batch_size=8):
    """One `fit` of `model` on (x, y) leaves the weights of its first `n_frozen` layers as they
    were and changes those of the others (the head). The weights travel before and after; they
    are compared here."""
    with observing("check_fit_trains_the_head") as probe:
        frozen_before, head_before = probe.value(lambda: _weights_split(model, n_frozen))
        probe.handle(lambda: model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0))
        frozen_after, head_after = probe.value(lambda: _weights_split(model, n_frozen))
    if not _all_equal(frozen_before, frozen_after):
        raise GradingFailure("the weights of the frozen layers after fit()", expected="unchanged", got="changed",
                             hint="set layer.trainable = False before compiling.")
    if _all_equal(head_before, head_after):
        raise GradingFailure("the weights of the head after fit()", expected="changed", got="unchanged",
                             hint="freeze only model.layers[:n_frozen]; the rest must stay trainable.")


def _weights_split(model, n_frozen):
    """In the learner's kernel: copies of the weights of the first `n_frozen` layers, and of the others."""
    layers = list(model.layers)
    return ([np.array(w) for layer in layers[:n_frozen] for w in layer.get_weights()],
            [np.array(w) for layer in layers[n_frozen:] for w in layer.get_weights()])


def _all_equal(values, others):
    """Each array of `values` equals its twin in `others` (a value that is no array equals nothing)."""
    arrays = (np.ndarray, np.generic)
    return all(isinstance(a, arrays) and isinstance(b, arrays) and bool(np.array_equal(a, b))
               for a, b in zip(values, others))


def check_frozen_layers(model, n_frozen):
    """The first `n_frozen` layers are frozen, the others trainable."""
    with observing("check_frozen_layers") as probe:
        flags = probe.value(lambda: [bool(layer.trainable) for layer in model.layers])
    want = [index >= n_frozen for index in range(len(flags))]
    if flags == want:
        return
    if all(flags):
        hint = "nothing is frozen: for layer in model.layers[:n_frozen]: layer.trainable = False."
    elif not any(flags):
        hint = "every layer is frozen (model.trainable = False?): freeze only model.layers[:n_frozen]."
    elif flags == [not flag for flag in want]:
        hint = "the LAST layers are frozen: freeze the first ones, model.layers[:n_frozen], and train the head."
    else:
        hint = f"freeze exactly the first {n_frozen} layers: model.layers[:{n_frozen}]."
    raise GradingFailure(
        "which layers are trainable (layer.trainable, first to last)",
        expected=", ".join(str(flag) for flag in want), got=", ".join(str(flag) for flag in flags), hint=hint,
    )


def check_schedule(optimizer, initial_learning_rate, decay_steps, decay_rate):
    """`optimizer` follows ExponentialDecay(initial_learning_rate, decay_steps, decay_rate,
    staircase=True): its learning rate drops by `decay_rate` every `decay_steps` steps."""
    steps = [0, decay_steps - 1, decay_steps, 2 * decay_steps + decay_steps // 2]
    with observing("check_schedule") as probe:
        seen = probe.value(lambda: _schedule_seen(optimizer, steps))
        if "optimizer" in seen:
            raise GradingFailure(
                "the model's optimizer after fine-tuning was set up", expected="an Adam optimizer",
                got=f"{seen['optimizer'] if seen['optimizer'] is not None else 'none (the model is not compiled)'}",
                hint="compile again: model.compile(optimizer=optimizers.Adam(learning_rate=schedule), ...).",
            )
        if "learning_rate" in seen:
            raise GradingFailure(
                "the learning rate of the model's optimizer",
                expected="an ExponentialDecay schedule",
                got=f"a fixed learning rate ({float(seen['learning_rate']):g})" if seen["fixed"] is True
                else str(seen["learning_rate"]),
                hint="create optimizers.schedules.ExponentialDecay(...) and pass it as the learning rate: "
                     "optimizers.Adam(learning_rate=schedule).",
            )
        got = seen["rates"]
        want = [initial_learning_rate * decay_rate ** (step // decay_steps) for step in steps]
        continuous = [initial_learning_rate * decay_rate ** (step / decay_steps) for step in steps]
        check_close(
            got, want, f"the learning rate of the schedule at steps {steps}", rtol=1e-5, atol=0,
            mistakes={"the schedule decays continuously: pass staircase=True, so the rate drops in steps.": continuous},
            hint=f"ExponentialDecay(initial_learning_rate={initial_learning_rate}, decay_steps={decay_steps}, "
                 f"decay_rate={decay_rate}, staircase=True): use the function's arguments.",
        )


def _schedule_seen(optimizer, steps):
    """In the learner's kernel: {"optimizer": its class name (None without one)} unless it is an
    Adam; else {"learning_rate": its value, or the schedule's repr, "fixed": whether a number}
    unless it is an ExponentialDecay; else {"rates": the learning rate at each of `steps`}."""
    from mlkit.optimizers import Adam
    from mlkit.optimizers.schedules import ExponentialDecay

    if not isinstance(optimizer, Adam):
        return {"optimizer": type(optimizer).__name__ if optimizer is not None else None}
    schedule = getattr(optimizer, "_learning_rate", None)
    if not isinstance(schedule, ExponentialDecay):
        value = getattr(schedule, "numpy", lambda: schedule)()
        if np.ndim(value) == 0:
            return {"learning_rate": float(value), "fixed": True}
        return {"learning_rate": repr(schedule), "fixed": False}
    return {"rates": [float(schedule(step)) for step in steps]}


def check_compiled_for_classification(model, x, y_one_hot):
    """The model is compiled with categorical cross-entropy and accuracy: evaluate returns
    [loss, accuracy], the loss being the cross-entropy of its predictions."""
    with observing("check_compiled_for_classification") as probe:
        compiled = probe.value(lambda: bool(getattr(model, "compiled", False)))
        if compiled is not True:
            raise GradingFailure("the model after fine-tuning was set up", expected="compiled", got="not compiled",
                                 hint="call model.compile(optimizer=..., loss=..., metrics=['accuracy']).")
        result = probe.value(lambda: model.evaluate(x, y_one_hot, verbose=0))
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise GradingFailure("what model.evaluate(x, y) returns", expected="[loss, accuracy]", got=result,
                                 hint="compile with metrics=['accuracy'].")
        predictions = probe.value(lambda: as_numpy(model.predict(x, verbose=0)))
        predictions = np.clip(np.asarray(predictions), 1e-7, 1 - 1e-7)
        cross_entropy = float(np.mean(-np.sum(y_one_hot * np.log(predictions), axis=-1)))
        accuracy = float(np.mean(predictions.argmax(-1) == y_one_hot.argmax(-1)))
        check_close(result[0], cross_entropy, "the loss model.evaluate(x, y) reports", rtol=1e-3, atol=1e-4,
                    hint="compile with loss='categorical_crossentropy' (the labels are one-hot).")
        check_close(result[1], accuracy, "the metric model.evaluate(x, y) reports", rtol=1e-4, atol=1e-4,
                    hint="compile with metrics=['accuracy'].")


# -- callbacks ------------------------------------------------------------------------------

def _callbacks_seen(callbacks_list, cls, attributes):
    """In the learner's kernel: what the test of one callback needs, as plain data: the class
    names in the list, how many are a `cls`, and the `attributes` of that one (when alone)."""
    if not isinstance(callbacks_list, (list, tuple)):
        return {"not_a_list": type(callbacks_list).__name__}
    found = [item for item in callbacks_list if isinstance(item, cls)]
    seen = {"classes": [type(item).__name__ for item in callbacks_list], "found": len(found)}
    if len(found) == 1:
        seen["attributes"] = {attribute: getattr(found[0], attribute, None) for attribute in attributes}
    return seen


def _found(seen, cls, what, hint):
    """The attributes of the one `cls` among the callbacks `seen`; else fail."""
    if seen["found"] != 1:
        raise GradingFailure(
            f"the {what} among the callbacks", expected=f"one {cls.__name__}",
            got=f"{seen['found']} (the list holds: {', '.join(seen['classes']) or 'nothing'})",
            hint=hint,
        )
    return seen["attributes"]


def check_early_stopping(callbacks_list, *, monitor="val_loss", patience=2):
    """One EarlyStopping watching `monitor`, with `patience`, restoring the best weights."""
    from mlkit.callbacks import EarlyStopping

    with observing("check_early_stopping") as probe:
        seen = probe.value(lambda: _callbacks_seen(callbacks_list, EarlyStopping,
                                                   ("monitor", "patience", "restore_best_weights")))
    if "not_a_list" in seen:
        raise GradingFailure("what make_callbacks returns", expected="a list of callbacks",
                             got=f"a {seen['not_a_list']}", hint="return [early_stopping, checkpoint].")
    stop = _found(seen, EarlyStopping, "early stopping",
                  "add callbacks.EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True).")
    for attribute, want, hint in [
        ("monitor", monitor, f"watch the validation loss: monitor={monitor!r}."),
        ("patience", patience, f"patience={patience}: stop after {patience} epochs without improvement."),
        ("restore_best_weights", True, "restore_best_weights=True: end with the weights of the best epoch."),
    ]:
        got = stop[attribute]
        if got != want:
            raise GradingFailure(f"EarlyStopping's {attribute}", expected=want, got=got, hint=hint)


def check_model_checkpoint(callbacks_list, folder, *, monitor="val_loss"):
    """One ModelCheckpoint writing a whole model (`.keras`) into `folder`, only when `monitor` improves."""
    from mlkit.callbacks import ModelCheckpoint

    with observing("check_model_checkpoint") as probe:
        seen = probe.value(lambda: _callbacks_seen(callbacks_list, ModelCheckpoint,
                                                   ("filepath", "save_weights_only", "monitor", "save_best_only")))
        if seen.get("found") == 1:  # the paths as the learner's kernel sees them
            path, folder = probe.value(lambda: (os.path.abspath(seen["attributes"]["filepath"]),
                                                os.path.abspath(folder)))
    checkpoint = _found(seen, ModelCheckpoint, "checkpoint",
                        "add callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, 'best.keras'), "
                        "monitor='val_loss', save_best_only=True).")
    if os.path.dirname(path) != folder:
        raise GradingFailure(
            "the folder of ModelCheckpoint's filepath", expected=folder, got=os.path.dirname(path),
            hint="build the path from the function's argument: os.path.join(checkpoint_dir, 'best.keras').",
        )
    if not path.endswith(".keras") or checkpoint["save_weights_only"]:
        raise GradingFailure(
            "what ModelCheckpoint saves", expected="the whole model, in a file ending with .keras",
            got=f"{os.path.basename(path)} (save_weights_only={checkpoint['save_weights_only']})",
            hint="name the file best.keras and keep save_weights_only=False.",
        )
    for attribute, want, hint in [
        ("monitor", monitor, f"watch the validation loss: monitor={monitor!r}."),
        ("save_best_only", True, "save_best_only=True: keep the best model, not the last one."),
    ]:
        got = checkpoint[attribute]
        if got != want:
            raise GradingFailure(f"ModelCheckpoint's {attribute}", expected=want, got=got, hint=hint)


def check_callbacks_in_fit(make_callbacks, folder):
    """The callbacks work in a short fit: the checkpoint file appears in `folder`, and a second
    call of `make_callbacks` gives new callback objects (a callback keeps state between fits)."""
    with observing("check_callbacks_in_fit") as probe:
        first, second = probe.handle(lambda: make_callbacks(folder)), probe.handle(lambda: make_callbacks(folder))
        shared = probe.value(lambda: [type(c).__name__ for c in first if any(c is other for other in second)])
        if shared:
            raise GradingFailure(
                "two calls of make_callbacks(checkpoint_dir)", expected="new callback objects each time",
                got=f"the same {', '.join(shared)} object twice",
                hint="create the callbacks inside the function: a callback remembers its best value and "
                     "its patience from one fit to the next.",
            )
        files = probe.value(lambda: _files_after_fit(first, folder))
    if not any(name.endswith(".keras") for name in files):
        raise GradingFailure(
            "the files in checkpoint_dir after fit(..., callbacks=make_callbacks(checkpoint_dir))",
            expected="a .keras checkpoint", got=", ".join(files) or "nothing",
            hint="ModelCheckpoint(os.path.join(checkpoint_dir, 'best.keras'), ...).",
        )


def _files_after_fit(callbacks_list, folder):
    """In the learner's kernel: the files in `folder` after a short fit with the callbacks."""
    import mlkit
    from mlkit import layers

    x = sample_inputs((32, 4), seed=25)
    y = x @ np.ones((4, 1), dtype="float32")
    model = mlkit.Sequential([layers.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer=mlkit.optimizers.SGD(0.05), loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, callbacks=list(callbacks_list), verbose=0)
    return sorted(os.listdir(folder))


# -- the trained classifier -------------------------------------------------------------

def check_held_out_accuracy(model, *, minimum=0.95):
    """The model's accuracy on the held-out test digits (never used for training) is at least
    `minimum`; predictions are deterministic (Dropout is off at inference).

    At autograde only the model's predictions leave the sandbox: the labels they are
    judged against are read here, by the grader."""
    images = held_out_images()
    with observing("check_held_out_accuracy") as probe:
        kind = probe.value(lambda: _not_a_model(model))
        if kind is not None:
            raise GradingFailure("the trained classifier", expected="an mlkit model",
                                 got=f"a {kind}", hint="train_classifier returns (model, histories).")
        probabilities, error = probe.value(lambda: _predictions(model, images))
        if error is not None:
            raise GradingFailure(f"the classifier's predictions on the test images, of shape {tuple(images.shape)}",
                                 got=str(error),
                                 hint="the model's input is (8, 8, 1): layers.Input(shape=(8, 8, 1)).")
        probabilities = np.asarray(probabilities)
        if probabilities.shape != (len(images), 10):
            raise GradingFailure("the shape of the classifier's predictions on the test images",
                                 expected=(len(images), 10), got=probabilities.shape,
                                 hint="end with layers.Dense(10, activation='softmax').")
        again = np.asarray(probe.value(lambda: as_numpy(model.predict(images, verbose=0))))
    if again.shape != probabilities.shape or not np.allclose(probabilities, again, atol=1e-6):
        raise GradingFailure("two predictions of the classifier on the same images", expected="the same",
                             got="different", hint="Dropout (or a batch normalization) is active at inference.")
    accuracy = _accuracy(probabilities)
    if accuracy is not None and accuracy < minimum:
        raise GradingFailure(
            f"the accuracy of the classifier on the {len(images)} held-out test digits",
            expected=f"at least {minimum:.0%}", got=f"{accuracy:.1%}",
            hint="train longer (the batch normalizations' moving statistics need a few hundred steps: "
                 "batch_size=32 and 8 epochs of pretraining), with images scaled to [0, 1], then fine-tune.",
        )


def check_histories(histories, *, pretraining_epochs=8, fine_tuning_epochs=10):
    """`histories` is (the pretraining History, the fine-tuning History): `pretraining_epochs`
    epochs of pretraining, then at most `fine_tuning_epochs` with a validation loss."""
    with observing("check_histories") as probe:
        pretraining, fine_tuning_keys, fine_tuning = probe.value(lambda: _epochs_and_keys(histories))
        check_equal(pretraining, pretraining_epochs, "the number of pretraining epochs",
                    hint=f"pretrain for epochs={pretraining_epochs}.")
    if not ("val_loss" in fine_tuning_keys and fine_tuning <= fine_tuning_epochs):
        raise GradingFailure("the fine-tuning history",
                             expected=f"at most {fine_tuning_epochs} epochs, with a validation loss",
                             got=f"{fine_tuning} epochs, keys {fine_tuning_keys}",
                             hint=f"fine-tune with epochs={fine_tuning_epochs} and validation_split=0.2.")


def _epochs_and_keys(histories):
    """In the learner's kernel: the number of pretraining epochs, the sorted keys of the
    fine-tuning history and its number of epochs."""
    pretraining_history, fine_tuning_history = histories
    return (len(pretraining_history.history["loss"]), [str(key) for key in sorted(fine_tuning_history.history)],
            len(fine_tuning_history.history["loss"]))


def _not_a_model(value):
    """In the learner's kernel: None for an mlkit model, else the class name of `value`."""
    from mlkit.models import Model

    return None if isinstance(value, Model) else type(value).__name__


def _predictions(model, images):
    """In the learner's kernel: (the model's predictions for `images`, None), or (None, the error)."""
    try:
        return as_numpy(model.predict(images, verbose=0)), None
    except Exception as error:
        return None, f"{type(error).__name__}: {error}"


def _accuracy(probabilities):
    """The fraction of held-out digits whose most probable class is their label (read here); None in
    a sandbox given the instructor's private digits, which has no labels to judge with."""
    labels = held_out_labels()
    if labels is None:
        return None
    probabilities = np.asarray(probabilities)
    if probabilities.shape != (len(labels), 10):
        raise GradingFailure("the shape of the predictions on the held-out digits", expected=(len(labels), 10),
                             got=probabilities.shape, hint="end with layers.Dense(10, activation='softmax').")
    return float(np.mean(probabilities.argmax(-1) == labels))


def check_checkpoint_file(folder, custom_objects, *, minimum=0.9):
    """A `.keras` checkpoint in `folder` that loads (with `custom_objects`) and classifies
    the held-out digits with at least `minimum` accuracy."""
    from mlkit.saving import load_model

    images = held_out_images()
    with observing("check_checkpoint_file") as probe:
        files = probe.value(lambda: sorted(os.listdir(folder)))
        saved = [name for name in files if name.endswith(".keras")]
        if not saved:
            raise GradingFailure(
                "the checkpoints in checkpoint_dir after train_classifier", expected="a .keras file",
                got=", ".join(files) or "nothing",
                hint="fine-tune with callbacks=make_callbacks(checkpoint_dir).",
            )
        probabilities = probe.value(lambda: as_numpy(load_model(
            os.path.join(folder, saved[0]), custom_objects=custom_objects, compile=False).predict(images, verbose=0)))
    accuracy = _accuracy(probabilities)
    if accuracy is not None and accuracy < minimum:
        raise GradingFailure(f"the accuracy of the checkpoint {saved[0]} on the held-out digits",
                             expected=f"at least {minimum:.0%}", got=f"{accuracy:.1%}",
                             hint="checkpoint the fine-tuning run (monitor='val_loss', save_best_only=True).")


# -- saving and loading ------------------------------------------------------------------

def check_reloaded(original, reloaded, path, block_class):
    """`reloaded` is a new model read from the file at `path`: same layers, same block
    configurations, same predictions as `original`.

    `original` may also be a function that makes the model (one built around the learner's
    block: it is made where the learner's code runs), and `reloaded` then a function of that
    model: `check_reloaded(lambda: Sequential([...]), lambda model: save_and_reload(model, path), ...)`."""
    images = held_out_images()[:64]
    made_here = isinstance(original, types.FunctionType)  # a test's own lambda (a learner's model is no function)
    with observing("check_reloaded") as probe:
        make_model, save_and_reload = original, reloaded
        original = probe.handle(lambda: make_model() if made_here else make_model)
        reloaded = probe.handle(lambda: save_and_reload(original) if made_here else save_and_reload)
        if probe.value(lambda: os.path.isfile(path)) is not True:
            raise GradingFailure(f"the file {os.path.basename(path)} after save_and_reload(model, path)",
                                 expected="a saved model", got="no file", hint="model.save(path).")
        kind = probe.value(lambda: _not_a_model(reloaded))
        if kind is not None:
            raise GradingFailure("what save_and_reload returns", expected="the model loaded from the file",
                                 got=f"a {kind}",
                                 hint="return mlkit.saving.load_model(path, custom_objects={'ConvBlock': ConvBlock}, "
                                      "compile=False).")
        if probe.value(lambda: reloaded is original) is not False:
            raise GradingFailure("what save_and_reload returns", expected="a new model, loaded from the file",
                                 got="the model it was given", hint="return mlkit.saving.load_model(path, ...).")
        got_types = probe.value(lambda: [type(layer).__name__ for layer in reloaded.layers])
        want_types = probe.value(lambda: [type(layer).__name__ for layer in original.layers])
        if got_types != want_types:
            raise GradingFailure("the layers of the reloaded model", expected=", ".join(want_types),
                                 got=", ".join(got_types))
        for name, config, config_again in probe.value(lambda: _block_configs(original, reloaded, block_class)):
            if {k: _plain(v) for k, v in config.items()} != {k: _plain(v) for k, v in config_again.items()}:
                raise GradingFailure(f"the configuration of {name} after reloading",
                                     expected=config, got=config_again,
                                     hint="get_config must return every argument of __init__.")
        got = probe.value(lambda: as_numpy(reloaded.predict(images, verbose=0)))
        want = probe.value(lambda: as_numpy(original.predict(images, verbose=0)))
        check_close(got, want, "the predictions of the reloaded model against the original's", rtol=1e-4, atol=1e-5,
                    hint="the weights were not restored: save the whole model (model.save(path)), not only its config.")


def _block_configs(original, reloaded, block_class):
    """In the learner's kernel: for each block of `original` (and its twin in `reloaded`), its
    class name and both configurations, without the base keys."""
    configs = []
    for before, after in zip(original.layers, reloaded.layers):
        if isinstance(before, block_class):
            config, config_again = before.get_config(), after.get_config()
            keys = sorted(k for k in config if k not in ("name", "trainable", "dtype"))
            configs.append((class_name(after), {k: config[k] for k in keys}, {k: config_again.get(k) for k in keys}))
    return configs


def _plain(value):
    """Lists and tuples compare equal after a trip through JSON."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def fitted_once(model):
    """`model` compiled (Adam, mean squared error) and fitted for one epoch on seeded random images
    (8, 8, 1) with all-zero targets of 10 values: a trained model to save in tests."""
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32"), np.zeros((8, 10), "float32"),
              epochs=1, verbose=0)
    return model


def fine_tuning_candidate():
    """A small compiled model of standard layers (6 after the input) to fine-tune in tests."""
    import mlkit
    from mlkit import layers

    model = mlkit.Sequential([
        layers.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3), layers.BatchNormalization(), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def check_block_gradients(make_block, input_shape, *, call_kwargs=None):
    """Backprop through the block matches finite differences (inputs and trainable weights).

    The block is made *and built* in float64, so sublayers created in `build` are float64 too.
    """
    from mlkit.grading.layer_computation import NOT_DIFFERENTIABLE_HINT
    from mlkit.grading.layer_helpers import float64_layers
    from mlkit.utils.gradient_check import gradient_disagreement, gradients_both_ways

    call_kwargs = call_kwargs or {}
    x = sample_inputs(input_shape, seed=3, dtype="float64")
    with observing("check_block_gradients") as probe:
        with float64_layers():
            block = probe.handle(lambda: new_layer(make_block))
            probe.handle(lambda: call_layer(block, x, "the first call", **call_kwargs))
        name = probe.value(lambda: class_name(block))
        # Both gradients are computed where the block is; they are compared here.
        pairs = probe.value(lambda: gradients_both_ways(lambda inputs: block(inputs, **call_kwargs),
                                                        [x] + list(block.trainable_weights)))
    problem = gradient_disagreement(pairs)
    if problem is not None:
        raise GradingFailure(f"the gradients of {name} (inputs and trainable weights)", problem=str(problem),
                             hint=NOT_DIFFERENTIABLE_HINT)


def check_name_forwarded(make_block):
    """`make_block(name=...)` accepts the base class's arguments and passes them on."""
    hint = "give __init__ a **kwargs parameter and pass it on: super().__init__(**kwargs)."
    with observing("check_name_forwarded") as probe:
        name, error = probe.value(lambda: _name_given(make_block, "first_block"))
    if error is not None:
        raise GradingFailure("creating the block with name='first_block'", expected="a layer named first_block",
                             got=f"TypeError: {error}", hint=hint)
    if name != "first_block":
        raise GradingFailure("the name of a block created with name='first_block'", expected="first_block",
                             got=name, hint=hint)


def _name_given(make_block, name):
    """In the learner's kernel: (the name of `make_block(name=name)`, None), or (None, the TypeError)."""
    try:
        block = new_layer(make_block, name=name)
    except TypeError as error:
        return None, str(error)
    return block.name, None
