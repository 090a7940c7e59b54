"""Notebook 09 (the capstone): the hidden tests catch the plausible wrong answers.

Each case hands one exercise a typical mistake and states which of that exercise's
test cells fail, and a phrase of the message the learner reads. Cases are graded in
this process with `grade_in_process`, on an excerpt of the notebook: the setup cell,
the instructor's solutions of the exercises this one builds on, and this exercise's
cells. Exercise 6 (saving) gets a classifier trained once for the whole module instead
of training one per case. Correct variants, written differently from the solution,
must pass every cell.
"""

from pathlib import Path

import nbformat
import pytest

from mlkit.grading.authoring import failures, grade_in_process, solution_cell, wrong_verdicts

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "solutions" / "09_capstone" / "capstone.ipynb"

# The solution cells each exercise needs besides its own.
NEEDS = {1: [], 2: [1], 3: [], 4: [], 5: [1, 2, 3, 4], 6: [1]}

# -- Exercise 1: ConvBlock ---------------------------------------------------------------
BLOCK = {
    "init": ("    def __init__(self, filters, kernel_size, **kwargs):\n"
             "        super().__init__(**kwargs)\n"
             "        self.filters, self.kernel_size = filters, kernel_size\n"
             "        self.conv = layers.Conv2D(filters, kernel_size, padding='same')\n"
             "        self.bn = layers.BatchNormalization()\n"
             "        self.activation = layers.ReLU()\n"),
    "call": ("    def call(self, inputs, training=None):\n"
             "        return self.activation(self.bn(self.conv(inputs), training=training))\n"),
    "config": ("    def get_config(self):\n"
               "        return {**super().get_config(), 'filters': self.filters, 'kernel_size': self.kernel_size}\n"),
}


def block(prefix="", **replaced):
    return prefix + "class ConvBlock(layers.Layer):\n" + "\n".join({**BLOCK, **replaced}.values())


def block_call(expression, signature="inputs, training=None"):
    return f"    def call(self, {signature}):\n        return {expression}\n"


EX1 = {"ex1_test_weights", "ex1_test_output", "ex1_test_config", "ex1_test_freezing"}

# A batch normalization written by hand, without Keras 3's frozen rule (as in notebook 08).
HAND_MADE_NORMALIZATION = """
class HandMadeNormalization(layers.Layer):
    def build(self, input_shape):
        shape = (input_shape[-1],)
        self.gamma = self.add_weight(shape=shape, initializer='ones', name='gamma')
        self.beta = self.add_weight(shape=shape, initializer='zeros', name='beta')
        self.moving_mean = self.add_weight(shape=shape, initializer='zeros', trainable=False, name='moving_mean')
        self.moving_variance = self.add_weight(shape=shape, initializer='ones', trainable=False, name='moving_variance')

    def call(self, inputs, training=None):
        if training:
            axes = tuple(range(len(inputs.shape) - 1))
            mean, variance = ops.mean(inputs, axis=axes), ops.var(inputs, axis=axes)
            self.moving_mean.assign(self.moving_mean * 0.99 + mean * 0.01)
            self.moving_variance.assign(self.moving_variance * 0.99 + variance * 0.01)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return self.gamma * (inputs - mean) / ops.sqrt(variance + 1e-3) + self.beta


"""

# -- Exercise 2: build_classifier --------------------------------------------------------
CLASSIFIER_LAYERS = [
    "layers.Input(shape=(8, 8, 1))", "ConvBlock(32, (3, 3))", "layers.MaxPooling2D((2, 2))", "ConvBlock(64, (3, 3))",
    "layers.MaxPooling2D((2, 2))", "layers.Flatten()", "layers.Dense(128, activation='relu')", "layers.Dropout(0.5)",
    "layers.Dense(10, activation='softmax')",
]


def classifier(*changes):
    """build_classifier with some layers replaced ((old, new) pairs, applied at once) or removed (new=None)."""
    replacements = dict(changes)
    chosen = [replacements.get(item, item) for item in CLASSIFIER_LAYERS]
    chosen = [item for item in chosen if item is not None]
    return ("def build_classifier():\n    return mlkit.Sequential([\n"
            + "".join(f"        {item},\n" for item in chosen) + "    ])\n")


EX2 = {"ex2_test_layers", "ex2_test_parameters"}

# -- Exercise 3: fine_tune ---------------------------------------------------------------
FREEZE = "    for layer in model.layers[:n_frozen]:\n        layer.trainable = False\n"
SCHEDULE = ("    schedule = optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps=decay_steps,\n"
            "                                                     decay_rate=decay_rate, staircase=True)\n")
COMPILE = ("    model.compile(optimizer=optimizers.Adam(learning_rate=schedule), loss='categorical_crossentropy',\n"
           "                  metrics=['accuracy'])\n")


def fine_tune(freeze=FREEZE, schedule=SCHEDULE, compile_=COMPILE, returned="    return model\n"):
    return ("def fine_tune(model, n_frozen=4, initial_learning_rate=1e-4, decay_steps=36, decay_rate=0.9):\n"
            + freeze + schedule + compile_ + returned)


EX3 = {"ex3_test_frozen", "ex3_test_schedule"}

# -- Exercise 4: make_callbacks ----------------------------------------------------------
STOP = "callbacks.EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True)"
CHECKPOINT = ("callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, 'best.keras'), monitor='val_loss', "
              "save_best_only=True)")


def make_callbacks(stop=STOP, checkpoint=CHECKPOINT):
    return f"def make_callbacks(checkpoint_dir):\n    return [{stop}, {checkpoint}]\n"


EX4 = {"ex4_test_settings", "ex4_test_in_fit"}

# -- Exercise 5: train_classifier --------------------------------------------------------
CALL = "\n\nclassifier, histories = train_classifier(images_train, labels_train, checkpoint_dir)\n"


def train(pretrain_epochs=8, fine_tune_line="    fine_tune(model)\n", fine_tune_fit=(
        "    fine_tuning = model.fit(images, labels, epochs=10, batch_size=32, validation_split=0.2,\n"
        "                            callbacks=make_callbacks(checkpoint_dir), verbose=0)\n"),
        returned="    return model, [pretraining, fine_tuning]\n", call=CALL):
    return ("def train_classifier(images, labels, checkpoint_dir):\n"
            "    mlkit.utils.set_random_seed(0)\n"
            "    model = build_classifier()\n"
            "    model.compile(optimizer=optimizers.Adam(1e-3), loss='categorical_crossentropy', metrics=['accuracy'])\n"
            f"    pretraining = model.fit(images, labels, epochs={pretrain_epochs}, batch_size=32, "
            "validation_split=0.2, verbose=0)\n"
            + fine_tune_line + fine_tune_fit + returned + call)


EX5 = {"ex5_test_accuracy", "ex5_test_fine_tuned"}

# -- Exercise 6: save_and_reload ---------------------------------------------------------
def save_and_reload(body):
    return "def save_and_reload(model, path):\n" + body


EX6 = {"ex6_test_file", "ex6_test_classifier"}

NOT_DONE = "Not done yet"

CASES = {
    # -- ConvBlock ---------------------------------------------------------------------
    "the seed article's block as it is (no **kwargs, no get_config)": ({"ex1_conv_block": (
        "class ConvBlock(layers.Layer):\n"
        "    def __init__(self, filters, kernel_size):\n"
        "        super().__init__()\n"
        "        self.conv = layers.Conv2D(filters, kernel_size, padding='same')\n"
        "        self.bn = layers.BatchNormalization()\n"
        "        self.activation = layers.ReLU()\n\n"
        "    def call(self, inputs):\n"
        "        x = self.conv(inputs)\n"
        "        x = self.bn(x)\n"
        "        return self.activation(x)\n")},
        {"ex1_test_weights", "ex1_test_config", "ex1_test_freezing"}, "ex1_test_weights", "super().__init__(**kwargs)"),
    "padding 'valid'": ({"ex1_conv_block": block(init=BLOCK["init"].replace("padding='same'", "padding='valid'"))},
        {"ex1_test_output"}, "padding='same'"),
    "ReLU before the normalization": ({"ex1_conv_block": block(call=block_call(
        "self.bn(self.activation(self.conv(inputs)), training=training)"))},
        {"ex1_test_output"}, "the ReLU comes before the normalization"),
    "ReLU forgotten": ({"ex1_conv_block": block(call=block_call("self.bn(self.conv(inputs), training=training)"))},
        {"ex1_test_output"}, "the ReLU is missing"),
    "normalization forced into training mode": ({"ex1_conv_block": block(call=block_call(
        "self.activation(self.bn(self.conv(inputs), training=True))"))},
        {"ex1_test_output"}, "runs in training mode at inference"),
    "normalization forced into inference mode": ({"ex1_conv_block": block(call=block_call(
        "self.activation(self.bn(self.conv(inputs), training=False))"))},
        {"ex1_test_output"}, "let the training flag reach it"),
    "sublayers created in call": ({"ex1_conv_block": block(
        init=("    def __init__(self, filters, kernel_size, **kwargs):\n"
              "        super().__init__(**kwargs)\n"
              "        self.filters, self.kernel_size = filters, kernel_size\n"),
        call=("    def call(self, inputs, training=None):\n"
              "        x = layers.Conv2D(self.filters, self.kernel_size, padding='same')(inputs)\n"
              "        return layers.ReLU()(layers.BatchNormalization()(x, training=training))\n"))},
        {"ex1_test_weights", "ex1_test_output", "ex1_test_freezing"}, "ex1_test_weights", "no weights"),
    "get_config forgets kernel_size": ({"ex1_conv_block": block(config=(
        "    def get_config(self):\n        return {**super().get_config(), 'filters': self.filters}\n"))},
        {"ex1_test_config"}, "'kernel_size': self.kernel_size"),
    "get_config without the parent's": ({"ex1_conv_block": block(config=(
        "    def get_config(self):\n        return {'filters': self.filters, 'kernel_size': self.kernel_size}\n"))},
        {"ex1_test_config"}, "config = super().get_config()"),
    "a hand-made normalization that a frozen block still updates": ({"ex1_conv_block": block(
        prefix=HAND_MADE_NORMALIZATION,
        init=BLOCK["init"].replace("layers.BatchNormalization()", "HandMadeNormalization()"))},
        {"ex1_test_freezing"}, "a frozen BatchNormalization runs in inference mode"),
    "super().__init__() without **kwargs": ({"ex1_conv_block": block(
        init=BLOCK["init"].replace("super().__init__(**kwargs)", "super().__init__()"))},
        {"ex1_test_weights", "ex1_test_config", "ex1_test_freezing"}, "ex1_test_freezing", "super().__init__(**kwargs)"),
    "ConvBlock not started": ({"ex1_conv_block": block(init=(
        "    def __init__(self, filters, kernel_size, **kwargs):\n        raise NotImplementedError()\n"))},
        EX1, None, NOT_DONE),
    # -- build_classifier --------------------------------------------------------------
    "Dropout forgotten": ({"ex2_build_classifier": classifier(("layers.Dropout(0.5)", None))},
        {"ex2_test_layers"}, "Dropout is missing"),
    "Dense(64) instead of Dense(128)": ({"ex2_build_classifier": classifier(
        ("layers.Dense(128, activation='relu')", "layers.Dense(64, activation='relu')"))},
        {"ex2_test_parameters"}, "Dense(128) has 256 * 128 + 128 parameters"),
    "no softmax at the end": ({"ex2_build_classifier": classifier(
        ("layers.Dense(10, activation='softmax')", "layers.Dense(10)"))},
        {"ex2_test_layers"}, "activation='softmax'"),
    "filters in the wrong order": ({"ex2_build_classifier": classifier(
        ("ConvBlock(32, (3, 3))", "ConvBlock(64, (3, 3))"), ("ConvBlock(64, (3, 3))", "ConvBlock(32, (3, 3))"))},
        {"ex2_test_layers", "ex2_test_parameters"}, "ex2_test_layers", "the filters of the two ConvBlocks"),
    "one model shared by every call": ({"ex2_build_classifier": classifier().replace(
        "def build_classifier():\n    return mlkit.Sequential([", "THE_MODEL = mlkit.Sequential([").replace(
        "    ])\n", "    ])\n\n\ndef build_classifier():\n    return THE_MODEL\n")},
        {"ex2_test_parameters"}, "create the model and its layers inside the function"),
    "the hidden Dense layer without its activation": ({"ex2_build_classifier": classifier(
        ("layers.Dense(128, activation='relu')", "layers.Dense(128)"))},
        {"ex2_test_layers"}, "without the ReLU"),
    "Dropout after the classifier": ({"ex2_build_classifier": classifier(
        ("layers.Dropout(0.5)", "layers.Dense(10, activation='softmax')"),
        ("layers.Dense(10, activation='softmax')", "layers.Dropout(0.5)"))},
        {"ex2_test_layers"}, "in order"),
    "build_classifier not started": ({"ex2_build_classifier": "def build_classifier():\n    raise NotImplementedError()\n"},
        EX2, None, NOT_DONE),
    # -- fine_tune ---------------------------------------------------------------------
    "not recompiled": ({"ex3_fine_tune": fine_tune(schedule="", compile_="")},
        {"ex3_test_schedule"}, "ex3_test_schedule", "a fixed learning rate"),
    "schedule without staircase": ({"ex3_fine_tune": fine_tune(schedule=SCHEDULE.replace(", staircase=True", ""))},
        {"ex3_test_schedule"}, "pass staircase=True"),
    "the last layers frozen": ({"ex3_fine_tune": fine_tune(freeze=(
        "    for layer in model.layers[-n_frozen:]:\n        layer.trainable = False\n"))},
        {"ex3_test_frozen"}, "the LAST layers are frozen"),
    "the whole model frozen": ({"ex3_fine_tune": fine_tune(freeze="    model.trainable = False\n")},
        {"ex3_test_frozen"}, "every layer is frozen"),
    "the arguments ignored": ({"ex3_fine_tune": fine_tune(schedule=(
        "    schedule = optimizers.schedules.ExponentialDecay(1e-4, decay_steps=36, decay_rate=0.9, staircase=True)\n"))},
        {"ex3_test_schedule"}, "use the function's arguments"),
    "SGD instead of Adam": ({"ex3_fine_tune": fine_tune(compile_=COMPILE.replace("optimizers.Adam", "optimizers.SGD"))},
        {"ex3_test_schedule"}, "an Adam optimizer"),
    "no metrics": ({"ex3_fine_tune": fine_tune(compile_=(
        "    model.compile(optimizer=optimizers.Adam(learning_rate=schedule), loss='categorical_crossentropy')\n"))},
        {"ex3_test_schedule"}, "metrics=['accuracy']"),
    "the model not returned": ({"ex3_fine_tune": fine_tune(returned="")},
        {"ex3_test_frozen"}, "end with `return model`"),
    "fine_tune not started": ({"ex3_fine_tune": fine_tune(freeze="    raise NotImplementedError()\n")},
        EX3, None, NOT_DONE),
    # -- make_callbacks ----------------------------------------------------------------
    "early stopping on the training loss": ({"ex4_make_callbacks": make_callbacks(stop=STOP.replace("val_loss", "loss"))},
        {"ex4_test_settings"}, "watch the validation loss"),
    "best weights not restored": ({"ex4_make_callbacks": make_callbacks(
        stop=STOP.replace(", restore_best_weights=True", ""))},
        {"ex4_test_settings"}, "restore_best_weights=True"),
    "checkpoint in the current folder": ({"ex4_make_callbacks": make_callbacks(
        checkpoint=CHECKPOINT.replace("os.path.join(checkpoint_dir, 'best.keras')", "'best.keras'"))},
        EX4, "ex4_test_settings", "os.path.join(checkpoint_dir, 'best.keras')"),
    "weights only": ({"ex4_make_callbacks": make_callbacks(checkpoint=CHECKPOINT.replace(
        "'best.keras'", "'best.weights.h5'").replace("save_best_only=True", "save_best_only=True, save_weights_only=True"))},
        {"ex4_test_settings", "ex4_test_in_fit"}, "ex4_test_settings", "the whole model"),
    "every checkpoint kept, not the best": ({"ex4_make_callbacks": make_callbacks(
        checkpoint=CHECKPOINT.replace(", save_best_only=True", ""))},
        {"ex4_test_settings"}, "save_best_only=True"),
    "the same callbacks every time": ({"ex4_make_callbacks": (
        "SHARED = {}\n\n\ndef make_callbacks(checkpoint_dir):\n"
        f"    if checkpoint_dir not in SHARED:\n        SHARED[checkpoint_dir] = [{STOP}, {CHECKPOINT}]\n"
        "    return SHARED[checkpoint_dir]\n")},
        {"ex4_test_in_fit"}, "create the callbacks inside the function"),
    "make_callbacks not started": ({"ex4_make_callbacks": "def make_callbacks(checkpoint_dir):\n    raise NotImplementedError()\n"},
        EX4, None, NOT_DONE),
    # -- train_classifier (each case trains) -------------------------------------------
    "pretrained for one epoch only": ({"ex5_train_classifier": train(pretrain_epochs=1, fine_tune_fit=(
        "    fine_tuning = model.fit(images, labels, epochs=1, batch_size=32, validation_split=0.2,\n"
        "                            callbacks=make_callbacks(checkpoint_dir), verbose=0)\n"))},
        EX5, "ex5_test_accuracy", "train longer"),
    "fine-tuning skipped": ({"ex5_train_classifier": train(fine_tune_line="", fine_tune_fit=(
        "    fine_tuning = model.fit(images, labels, epochs=1, batch_size=32, validation_split=0.2,\n"
        "                            callbacks=make_callbacks(checkpoint_dir), verbose=0)\n"))},
        EX5, "ex5_test_fine_tuned", "nothing is frozen"),
    "only the model returned": ({"ex5_train_classifier": train(returned="    return model\n")},
        EX5, "ex5_test_accuracy", "the cell that assigns it stopped with an error"),
    "train_classifier not started": ({"ex5_train_classifier": train(
        fine_tune_line="    raise NotImplementedError()\n")},
        EX5, None, NOT_DONE),
    # -- save_and_reload ---------------------------------------------------------------
    "the original returned": ({"ex6_save_and_reload": save_and_reload("    model.save(path)\n    return model\n")},
        EX6, "ex6_test_file", "the model it was given"),
    "custom_objects forgotten": ({"ex6_save_and_reload": save_and_reload(
        "    model.save(path)\n    return mlkit.saving.load_model(path, compile=False)\n")},
        EX6, "ex6_test_file", "Could not locate class 'ConvBlock'"),
    "a new model from the config, without the weights": ({"ex6_save_and_reload": save_and_reload(
        "    model.save(path)\n"
        "    with mlkit.saving.custom_object_scope({'ConvBlock': ConvBlock}):\n"
        "        return mlkit.Sequential.from_config(model.get_config())\n")},
        EX6, "ex6_test_file", "the predictions of the reloaded model"),
    "save_and_reload not started": ({"ex6_save_and_reload": save_and_reload("    raise NotImplementedError()\n")},
        EX6, None, NOT_DONE),
}

CORRECT_VARIANTS = {
    "ConvBlock: sublayers made in build, call without a training parameter": {"ex1_conv_block": block(
        init=("    def __init__(self, filters, kernel_size, **kwargs):\n"
              "        super().__init__(**kwargs)\n"
              "        self.filters = filters\n"
              "        self.kernel_size = kernel_size\n\n"
              "    def build(self, input_shape):\n"
              "        self.conv = layers.Conv2D(self.filters, self.kernel_size, padding='same')\n"
              "        self.bn = layers.BatchNormalization()\n"
              "        self.activation = layers.ReLU()\n"),
        call=("    def call(self, inputs):\n"
              "        x = self.conv(inputs)\n"
              "        x = self.bn(x)\n"
              "        return self.activation(x)\n"),
        config=("    def get_config(self):\n"
                "        config = super().get_config()\n"
                "        config['filters'] = self.filters\n"
                "        config['kernel_size'] = self.kernel_size\n"
                "        return config\n"))},
    "ConvBlock: training=False default, layers.Activation('relu')": {"ex1_conv_block": block(
        init=BLOCK["init"].replace("layers.ReLU()", "layers.Activation('relu')"),
        call=block_call("self.activation(self.bn(self.conv(inputs), training=training))",
                        signature="inputs, training=False"))},
    "build_classifier: add() one layer at a time": {"ex2_build_classifier": (
        "def build_classifier():\n"
        "    model = mlkit.Sequential()\n"
        "    model.add(layers.Input(shape=(8, 8, 1)))\n"
        "    for filters in (32, 64):\n"
        "        model.add(ConvBlock(filters, 3))\n"
        "        model.add(layers.MaxPooling2D(2))\n"
        "    model.add(layers.Flatten())\n"
        "    model.add(layers.Dense(128, activation='relu'))\n"
        "    model.add(layers.Dropout(rate=0.5))\n"
        "    model.add(layers.Dense(10, activation='softmax'))\n"
        "    return model\n")},
    "fine_tune: a flag per layer, positional schedule arguments, string metrics": {"ex3_fine_tune": fine_tune(
        freeze=("    for index, layer in enumerate(model.layers):\n"
                "        layer.trainable = index >= n_frozen\n"),
        schedule=("    schedule = optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, True)\n"),
        compile_=("    optimizer = optimizers.Adam(schedule)\n"
                  "    model.compile(optimizer, 'categorical_crossentropy', metrics=['accuracy'])\n"))},
    "make_callbacks: a tuple, mode='min', f-string path": {"ex4_make_callbacks": (
        "def make_callbacks(checkpoint_dir):\n"
        "    stop = callbacks.EarlyStopping('val_loss', patience=2, mode='min', restore_best_weights=True)\n"
        "    keep = callbacks.ModelCheckpoint(f'{checkpoint_dir}/best.keras', save_best_only=True, mode='min')\n"
        "    return [stop, keep]\n")},
    "save_and_reload: a registered ConvBlock, no custom_objects": {
        "ex1_conv_block": block(prefix="@mlkit.saving.register_keras_serializable(package='Capstone')\n"),
        "ex6_save_and_reload": save_and_reload(
            "    mlkit.saving.save_model(model, path)\n    return mlkit.saving.load_model(path, compile=False)\n")},
}


@pytest.fixture(autouse=True)
def in_a_temp_folder(tmp_path, monkeypatch):
    """Wrong answers may write files into the current folder: not into the repository."""
    monkeypatch.chdir(tmp_path)


def _cells_of(book, prefixes):
    return [cell for cell in book.cells if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith(prefixes)]


@pytest.fixture(scope="module")
def pretrained_classifier_file(tmp_path_factory):
    """The instructor's classifier, trained once (setup and solutions of exercises 1-5), saved to a file."""
    book = nbformat.read(NOTEBOOK, as_version=4)
    namespace = {"__name__": "__main__"}
    for cell in _cells_of(book, ("setup", "ex1_conv_block", "ex2_", "ex3_fine", "ex4_make", "ex5_train")):
        if not cell.metadata["nbgrader"].get("grade"):
            exec(compile(cell.source, "<capstone>", "exec"), namespace)
    path = tmp_path_factory.mktemp("classifier") / "pretrained.keras"
    namespace["classifier"].save(path)
    namespace["workdir"].cleanup()
    return path


@pytest.fixture(scope="module")
def excerpts(tmp_path_factory, pretrained_classifier_file):
    """{exercise number: the path of the notebook's excerpt for that exercise}."""
    book = nbformat.read(NOTEBOOK, as_version=4)
    folder = tmp_path_factory.mktemp("notebook_09")
    paths = {}
    for number, needs in NEEDS.items():
        cells = _cells_of(book, ("setup",) + tuple(f"ex{n}_" for n in needs) + (f"ex{number}_",))
        cells = [c for c in cells if not (c.metadata.nbgrader.get("grade") and not
                                          c.metadata.nbgrader["grade_id"].startswith(f"ex{number}_"))]
        if number == 6:  # the trained classifier, loaded instead of trained again
            cells.insert(2, solution_cell("ex5_train_classifier", (
                f"classifier = mlkit.saving.load_model({str(pretrained_classifier_file)!r}, "
                "custom_objects={'ConvBlock': ConvBlock}, compile=False)\n")))
        copy = nbformat.v4.new_notebook(metadata=book.metadata)
        copy.cells = cells
        paths[number] = folder / f"ex{number}.ipynb"
        nbformat.write(copy, paths[number])
    return paths


def _exercise_of(answers):
    return max(int(grade_id[2]) for grade_id in answers)


def test_the_instructor_solutions_pass_everything():
    results = grade_in_process(NOTEBOOK)
    assert len(results) == 14 and failures(results) == {}


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes_everything(name, excerpts):
    answers = CORRECT_VARIANTS[name]
    results = grade_in_process(excerpts[_exercise_of(answers)], answers)
    assert results and failures(results) == {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name, excerpts):
    answers, failing, cell, phrase = CASES[name] if len(CASES[name]) == 4 else (*CASES[name][:2], None, CASES[name][2])
    results = grade_in_process(excerpts[_exercise_of(answers)], answers)
    assert wrong_verdicts(results, failing, phrase, cell) == []


def test_a_fine_tuned_model_with_a_frozen_block_reloads_compiled(tmp_path):
    import numpy as np

    import mlkit
    from mlkit import layers

    class Block(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = mlkit.Sequential([layers.Input(shape=(3,)), Block(4), layers.Dense(2)])
    model.layers[0].trainable = False
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    # As in Keras, the frozen block's sublayer reloads trainable, so the saved
    # optimizer slots no longer fit: a warning, the weights intact.
    with pytest.warns(UserWarning, match="skipped the optimizer state"):
        reloaded = mlkit.saving.load_model(tmp_path / "model.keras", custom_objects={"Block": Block})
    for saved, loaded in zip(model.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    assert reloaded.optimizer.iterations.numpy() == 0
