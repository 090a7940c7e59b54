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

import numpy as np

from mlkit.grading import cell_history
from mlkit.grading.checks import check_close
from mlkit.grading.failure import GradingFailure, UnfinishedExercise
from mlkit.grading.layer_helpers import as_numpy, call_layer, class_name, new_layer, sample_inputs

_WEIGHTS_SEED = 7


# -- the learner's objects ---------------------------------------------------------------

def trained_object(name, made_by):
    """The notebook's variable `name` (e.g. the trained model), or an explanation of why it is
    missing: "not done yet" if the cell assigning it stopped at the stub of `made_by`."""
    namespace = sys._getframe(1).f_globals
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


def held_out_digits():
    """The test split of the digits, as the notebook prepares it: images (n, 8, 8, 1) in [0, 1]
    and integer labels (loaded here, so a learner's variables cannot change them)."""
    from mlkit.datasets import digits

    _, (x_test, y_test) = digits.load_data()
    return (x_test[..., None] / 16.0).astype("float32"), y_test.astype("int64")


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
    return ", ".join(f"{v.name} {tuple(v.shape)}" for v in block.weights) or "no weights"


def check_conv_block_output(make_block, filters, kernel_size, input_shape):
    """The block computes ReLU(BatchNormalization(Conv2D(filters, kernel_size, padding="same")))
    with its own weights, at inference and in training."""
    block = new_layer(make_block)
    name = class_name(block)
    x = sample_inputs(input_shape, seed=21)
    call_layer(block, x, "the first call")
    reference = _reference_block(filters, kernel_size, input_shape)
    expected_shapes = [tuple(v.shape) for v in reference.weights]
    if [tuple(v.shape) for v in block.weights] != expected_shapes:
        raise GradingFailure(
            f"the weights of {name}({filters}, {kernel_size}) on inputs of shape {tuple(input_shape)}",
            expected=", ".join(f"{v.name} {tuple(v.shape)}" for v in reference.weights),
            got=_block_weights(block),
            hint="create the Conv2D, then the BatchNormalization (and the ReLU) in __init__, as attributes.",
        )
    _randomize_block(block)
    reference.set_weights(block.get_weights())
    for during, kwargs in [("at inference", {}), ("in training (training=True)", {"training": True})]:
        got = as_numpy(call_layer(block, x, f"a call {during}", **kwargs))
        want = as_numpy(reference(x, **kwargs))
        checked = (f"the output of {name}({filters}, {kernel_size}) {during}, for inputs of shape "
                   f"{tuple(input_shape)} (weights set to random values)")
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
    block = new_layer(make_block)
    name = class_name(block)
    x = sample_inputs(input_shape, seed=22) * 2.0 + 1.0
    call_layer(block, x, "the first call")
    statistics = [v for v in block.weights if v.name in ("moving_mean", "moving_variance")]
    if len(statistics) != 2:
        raise GradingFailure(
            f"the moving statistics of {name}", expected="moving_mean and moving_variance (of its BatchNormalization)",
            got=_block_weights(block), hint="keep a layers.BatchNormalization() as an attribute, created in __init__.",
        )
    for during, kwargs in [("without `training`", {}), ("with training=False", {"training": False})]:
        before = [v.numpy().copy() for v in statistics]
        call_layer(block, x, f"a call {during}", **kwargs)
        if any(not np.array_equal(v.numpy(), value) for v, value in zip(statistics, before)):
            raise GradingFailure(
                f"the moving statistics of {name} after a call {during}", expected="unchanged", got="updated",
                hint="the BatchNormalization runs in training mode at inference: don't pass training=True to "
                     "it; pass the block's own flag (self.bn(x, training=training)) or nothing at all.",
            )
    before = [v.numpy().copy() for v in statistics]
    call_layer(block, x, "a call with training=True", training=True)
    if all(np.array_equal(v.numpy(), value) for v, value in zip(statistics, before)):
        raise GradingFailure(
            f"the moving statistics of {name} after a call with training=True", expected="updated",
            got="unchanged",
            hint="the training flag does not reach the BatchNormalization: don't pass training=False to it; "
                 "pass the block's own flag (self.bn(x, training=training)) or nothing at all.",
        )


def check_freezing(make_block, input_shape, *, epochs=2):
    """A frozen block trains nothing, inside `fit` too (its batch normalization keeps its
    statistics); unfrozen again, it trains."""
    import mlkit
    from mlkit import layers

    block = new_layer(make_block)
    name = class_name(block)
    x = sample_inputs(input_shape, seed=23)
    call_layer(block, x, "the first call")
    flags = [bool(v.trainable) for v in block.weights]
    block.trainable = False
    if block.trainable_weights:
        raise GradingFailure(
            f"{name}.trainable_weights after block.trainable = False", expected="[] (a frozen block trains nothing)",
            got=", ".join(v.name for v in block.trainable_weights),
        )
    model = mlkit.Sequential([layers.Input(shape=tuple(input_shape[1:])), block, layers.Flatten(), layers.Dense(3)])
    model.compile(optimizer=mlkit.optimizers.Adam(0.05), loss="mse")
    y = np.random.default_rng(24).normal(size=(len(x), 3)).astype("float32")
    before = [v.numpy().copy() for v in block.weights]
    model.fit(x, y, epochs=epochs, batch_size=len(x), verbose=0)
    changed = [v.name for v, value in zip(block.weights, before) if not np.array_equal(v.numpy(), value)]
    if changed:
        raise GradingFailure(
            f"the weights of a frozen {name} (block.trainable = False) after {epochs} epochs of fit()",
            expected="all unchanged, the moving statistics too", got=f"{', '.join(changed)} changed",
            hint="a frozen block must change nothing: keep its weights in standard sublayers (Conv2D, "
                 "BatchNormalization) created in __init__, which follow the block's trainable flag; a "
                 "frozen BatchNormalization runs in inference mode.",
        )
    block.trainable = True
    if [bool(v.trainable) for v in block.weights] != flags:
        raise GradingFailure(
            f"which weights of {name} are trainable after freezing and unfreezing it",
            expected=flags, got=[bool(v.trainable) for v in block.weights],
        )
    model.compile(optimizer=mlkit.optimizers.Adam(0.05), loss="mse")
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    if all(np.array_equal(v.numpy(), value) for v, value in zip(block.weights, before)):
        raise GradingFailure(
            f"the weights of {name} unfrozen again (trainable = True), after fit()", expected="changed",
            got="unchanged", hint="the block's weights must be trainable: let the sublayers create them.",
        )


# -- the classifier ----------------------------------------------------------------------

def check_layer_types(model, expected, checked):
    """`model.layers` are instances of the `expected` classes, in order."""
    got = [type(layer).__name__ for layer in getattr(model, "layers", [])]
    want = [cls.__name__ for cls in expected]
    if got == want and all(isinstance(layer, cls) for layer, cls in zip(model.layers, expected)):
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


def check_frozen_layers(model, n_frozen):
    """The first `n_frozen` layers are frozen, the others trainable."""
    flags = [bool(layer.trainable) for layer in model.layers]
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
    from mlkit.optimizers import Adam
    from mlkit.optimizers.schedules import ExponentialDecay

    if not isinstance(optimizer, Adam):
        raise GradingFailure(
            "the model's optimizer after fine-tuning was set up", expected="an Adam optimizer",
            got=f"{type(optimizer).__name__ if optimizer is not None else 'none (the model is not compiled)'}",
            hint="compile again: model.compile(optimizer=optimizers.Adam(learning_rate=schedule), ...).",
        )
    schedule = getattr(optimizer, "_learning_rate", None)
    if not isinstance(schedule, ExponentialDecay):
        value = getattr(schedule, "numpy", lambda: schedule)()
        raise GradingFailure(
            "the learning rate of the model's optimizer",
            expected="an ExponentialDecay schedule",
            got=f"a fixed learning rate ({float(value):g})" if np.ndim(value) == 0 else repr(schedule),
            hint="create optimizers.schedules.ExponentialDecay(...) and pass it as the learning rate: "
                 "optimizers.Adam(learning_rate=schedule).",
        )
    steps = [0, decay_steps - 1, decay_steps, 2 * decay_steps + decay_steps // 2]
    got = [float(schedule(step)) for step in steps]
    want = [initial_learning_rate * decay_rate ** (step // decay_steps) for step in steps]
    continuous = [initial_learning_rate * decay_rate ** (step / decay_steps) for step in steps]
    check_close(
        got, want, f"the learning rate of the schedule at steps {steps}", rtol=1e-5, atol=0,
        mistakes={"the schedule decays continuously: pass staircase=True, so the rate drops in steps.": continuous},
        hint=f"ExponentialDecay(initial_learning_rate={initial_learning_rate}, decay_steps={decay_steps}, "
             f"decay_rate={decay_rate}, staircase=True): use the function's arguments.",
    )


def check_compiled_for_classification(model, x, y_one_hot):
    """The model is compiled with categorical cross-entropy and accuracy: evaluate returns
    [loss, accuracy], the loss being the cross-entropy of its predictions."""
    if not getattr(model, "compiled", False):
        raise GradingFailure("the model after fine-tuning was set up", expected="compiled", got="not compiled",
                             hint="call model.compile(optimizer=..., loss=..., metrics=['accuracy']).")
    result = model.evaluate(x, y_one_hot, verbose=0)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise GradingFailure("what model.evaluate(x, y) returns", expected="[loss, accuracy]", got=result,
                             hint="compile with metrics=['accuracy'].")
    predictions = np.clip(as_numpy(model.predict(x, verbose=0)), 1e-7, 1 - 1e-7)
    cross_entropy = float(np.mean(-np.sum(y_one_hot * np.log(predictions), axis=-1)))
    accuracy = float(np.mean(predictions.argmax(-1) == y_one_hot.argmax(-1)))
    check_close(result[0], cross_entropy, "the loss model.evaluate(x, y) reports", rtol=1e-3, atol=1e-4,
                hint="compile with loss='categorical_crossentropy' (the labels are one-hot).")
    check_close(result[1], accuracy, "the metric model.evaluate(x, y) reports", rtol=1e-4, atol=1e-4,
                hint="compile with metrics=['accuracy'].")


# -- callbacks ------------------------------------------------------------------------------

def _find(items, cls, what, hint):
    found = [item for item in items if isinstance(item, cls)]
    if len(found) != 1:
        raise GradingFailure(
            f"the {what} among the callbacks", expected=f"one {cls.__name__}",
            got=f"{len(found)} (the list holds: {', '.join(type(i).__name__ for i in items) or 'nothing'})",
            hint=hint,
        )
    return found[0]


def check_early_stopping(callbacks_list, *, monitor="val_loss", patience=2):
    """One EarlyStopping watching `monitor`, with `patience`, restoring the best weights."""
    from mlkit.callbacks import EarlyStopping

    if not isinstance(callbacks_list, (list, tuple)):
        raise GradingFailure("what make_callbacks returns", expected="a list of callbacks",
                             got=f"a {type(callbacks_list).__name__}", hint="return [early_stopping, checkpoint].")
    stop = _find(callbacks_list, EarlyStopping, "early stopping",
                 "add callbacks.EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True).")
    for attribute, want, hint in [
        ("monitor", monitor, f"watch the validation loss: monitor={monitor!r}."),
        ("patience", patience, f"patience={patience}: stop after {patience} epochs without improvement."),
        ("restore_best_weights", True, "restore_best_weights=True: end with the weights of the best epoch."),
    ]:
        got = getattr(stop, attribute, None)
        if got != want:
            raise GradingFailure(f"EarlyStopping's {attribute}", expected=want, got=got, hint=hint)


def check_model_checkpoint(callbacks_list, folder, *, monitor="val_loss"):
    """One ModelCheckpoint writing a whole model (`.keras`) into `folder`, only when `monitor` improves."""
    from mlkit.callbacks import ModelCheckpoint

    checkpoint = _find(callbacks_list, ModelCheckpoint, "checkpoint",
                       "add callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, 'best.keras'), "
                       "monitor='val_loss', save_best_only=True).")
    path = os.path.abspath(checkpoint.filepath)
    if os.path.dirname(path) != os.path.abspath(folder):
        raise GradingFailure(
            "the folder of ModelCheckpoint's filepath", expected=os.path.abspath(folder),
            got=os.path.dirname(path),
            hint="build the path from the function's argument: os.path.join(checkpoint_dir, 'best.keras').",
        )
    if not path.endswith(".keras") or checkpoint.save_weights_only:
        raise GradingFailure(
            "what ModelCheckpoint saves", expected="the whole model, in a file ending with .keras",
            got=f"{os.path.basename(path)} (save_weights_only={checkpoint.save_weights_only})",
            hint="name the file best.keras and keep save_weights_only=False.",
        )
    for attribute, want, hint in [
        ("monitor", monitor, f"watch the validation loss: monitor={monitor!r}."),
        ("save_best_only", True, "save_best_only=True: keep the best model, not the last one."),
    ]:
        got = getattr(checkpoint, attribute, None)
        if got != want:
            raise GradingFailure(f"ModelCheckpoint's {attribute}", expected=want, got=got, hint=hint)


def check_callbacks_in_fit(make_callbacks, folder):
    """The callbacks work in a short fit: the checkpoint file appears in `folder`, and a second
    call of `make_callbacks` gives new callback objects (a callback keeps state between fits)."""
    import mlkit
    from mlkit import layers

    first, second = make_callbacks(folder), make_callbacks(folder)
    shared = [type(c).__name__ for c in first if any(c is other for other in second)]
    if shared:
        raise GradingFailure(
            "two calls of make_callbacks(checkpoint_dir)", expected="new callback objects each time",
            got=f"the same {', '.join(shared)} object twice",
            hint="create the callbacks inside the function: a callback remembers its best value and "
                 "its patience from one fit to the next.",
        )
    x = sample_inputs((32, 4), seed=25)
    y = x @ np.ones((4, 1), dtype="float32")
    model = mlkit.Sequential([layers.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer=mlkit.optimizers.SGD(0.05), loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, callbacks=list(first), verbose=0)
    saved = [name for name in os.listdir(folder) if name.endswith(".keras")]
    if not saved:
        raise GradingFailure(
            f"the files in checkpoint_dir after fit(..., callbacks=make_callbacks(checkpoint_dir))",
            expected="a .keras checkpoint", got=", ".join(sorted(os.listdir(folder))) or "nothing",
            hint="ModelCheckpoint(os.path.join(checkpoint_dir, 'best.keras'), ...).",
        )


# -- the trained classifier -------------------------------------------------------------

def check_held_out_accuracy(model, *, minimum=0.95):
    """The model's accuracy on the held-out test digits (never used for training) is at least
    `minimum`; predictions are deterministic (Dropout is off at inference)."""
    from mlkit.models import Model

    if not isinstance(model, Model):
        raise GradingFailure("the trained classifier", expected="an mlkit model",
                             got=f"a {type(model).__name__}", hint="train_classifier returns (model, histories).")
    images, labels = held_out_digits()
    try:
        probabilities = as_numpy(model.predict(images, verbose=0))
    except Exception as error:
        raise GradingFailure("the classifier's predictions on the test images, of shape (359, 8, 8, 1)",
                             got=f"{type(error).__name__}: {error}",
                             hint="the model's input is (8, 8, 1): layers.Input(shape=(8, 8, 1)).") from None
    if probabilities.shape != (len(images), 10):
        raise GradingFailure("the shape of the classifier's predictions on the test images",
                             expected=(len(images), 10), got=probabilities.shape,
                             hint="end with layers.Dense(10, activation='softmax').")
    again = as_numpy(model.predict(images, verbose=0))
    if not np.allclose(probabilities, again, atol=1e-6):
        raise GradingFailure("two predictions of the classifier on the same images", expected="the same",
                             got="different", hint="Dropout (or a batch normalization) is active at inference.")
    accuracy = float(np.mean(probabilities.argmax(-1) == labels))
    if accuracy < minimum:
        raise GradingFailure(
            "the accuracy of the classifier on the 359 held-out test digits",
            expected=f"at least {minimum:.0%}", got=f"{accuracy:.1%}",
            hint="train longer (the batch normalizations' moving statistics need a few hundred steps: "
                 "batch_size=32 and 8 epochs of pretraining), with images scaled to [0, 1], then fine-tune.",
        )


def check_checkpoint_file(folder, custom_objects, *, minimum=0.9):
    """A `.keras` checkpoint in `folder` that loads (with `custom_objects`) and classifies
    the held-out digits with at least `minimum` accuracy."""
    from mlkit.saving import load_model

    saved = sorted(name for name in os.listdir(folder) if name.endswith(".keras"))
    if not saved:
        raise GradingFailure(
            "the checkpoints in checkpoint_dir after train_classifier", expected="a .keras file",
            got=", ".join(sorted(os.listdir(folder))) or "nothing",
            hint="fine-tune with callbacks=make_callbacks(checkpoint_dir).",
        )
    model = load_model(os.path.join(folder, saved[0]), custom_objects=custom_objects, compile=False)
    images, labels = held_out_digits()
    accuracy = float(np.mean(as_numpy(model.predict(images, verbose=0)).argmax(-1) == labels))
    if accuracy < minimum:
        raise GradingFailure(f"the accuracy of the checkpoint {saved[0]} on the held-out digits",
                             expected=f"at least {minimum:.0%}", got=f"{accuracy:.1%}",
                             hint="checkpoint the fine-tuning run (monitor='val_loss', save_best_only=True).")


# -- saving and loading ------------------------------------------------------------------

def check_reloaded(original, reloaded, path, block_class):
    """`reloaded` is a new model read from the file at `path`: same layers, same block
    configurations, same predictions as `original`."""
    from mlkit.models import Model

    if not os.path.isfile(path):
        raise GradingFailure(f"the file {os.path.basename(path)} after save_and_reload(model, path)",
                             expected="a saved model", got="no file", hint="model.save(path).")
    if not isinstance(reloaded, Model):
        raise GradingFailure("what save_and_reload returns", expected="the model loaded from the file",
                             got=f"a {type(reloaded).__name__}",
                             hint="return mlkit.saving.load_model(path, custom_objects={'ConvBlock': ConvBlock}, "
                                  "compile=False).")
    if reloaded is original:
        raise GradingFailure("what save_and_reload returns", expected="a new model, loaded from the file",
                             got="the model it was given", hint="return mlkit.saving.load_model(path, ...).")
    got_types = [type(layer).__name__ for layer in reloaded.layers]
    want_types = [type(layer).__name__ for layer in original.layers]
    if got_types != want_types:
        raise GradingFailure("the layers of the reloaded model", expected=", ".join(want_types),
                             got=", ".join(got_types))
    for before, after in zip(original.layers, reloaded.layers):
        if isinstance(before, block_class):
            config, config_again = before.get_config(), after.get_config()
            keys = sorted(k for k in config if k not in ("name", "trainable", "dtype"))
            if {k: _plain(config[k]) for k in keys} != {k: _plain(config_again.get(k)) for k in keys}:
                raise GradingFailure(f"the configuration of {class_name(after)} after reloading",
                                     expected={k: config[k] for k in keys}, got={k: config_again.get(k) for k in keys},
                                     hint="get_config must return every argument of __init__.")
    images, _ = held_out_digits()
    check_close(as_numpy(reloaded.predict(images[:64], verbose=0)), as_numpy(original.predict(images[:64], verbose=0)),
                "the predictions of the reloaded model against the original's", rtol=1e-4, atol=1e-5,
                hint="the weights were not restored: save the whole model (model.save(path)), not only its config.")


def _plain(value):
    """Lists and tuples compare equal after a trip through JSON."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


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
    from mlkit.grading.layer_computation import check_gradients
    from mlkit.grading.layer_helpers import float64_layers

    call_kwargs = call_kwargs or {}
    x = sample_inputs(input_shape, seed=3, dtype="float64")
    with float64_layers():
        block = new_layer(make_block)
        call_layer(block, x, "the first call", **call_kwargs)
    check_gradients(lambda inputs: block(inputs, **call_kwargs), [x] + list(block.trainable_weights),
                    f"the gradients of {class_name(block)} (inputs and trainable weights)")


def check_name_forwarded(make_block):
    """`make_block(name=...)` accepts the base class's arguments and passes them on."""
    hint = "give __init__ a **kwargs parameter and pass it on: super().__init__(**kwargs)."
    try:
        block = new_layer(make_block, name="first_block")
    except TypeError as error:
        raise GradingFailure("creating the block with name='first_block'", expected="a layer named first_block",
                             got=f"TypeError: {error}", hint=hint) from None
    if block.name != "first_block":
        raise GradingFailure("the name of a block created with name='first_block'", expected="first_block",
                             got=block.name, hint=hint)
