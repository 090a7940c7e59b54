"""06 · Callbacks: the hidden tests catch the plausible wrong answers, and say why.

Each case hands one exercise a typical mistake (graded in this process with
`grade_in_process`; the instructor's solution stands in for the other
exercise) and states which test cells fail and a phrase of the message the
learner reads there. Correct variants must pass every test cell.
"""

from pathlib import Path

import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts
from mlkit.grading.callback_checks import stop_epoch

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "06_callbacks" / "callbacks.ipynb"

# -- answers, assembled from parts ---------------------------------------------

STOPPING = {
    "init": (
        "    def __init__(self, monitor='val_loss', patience=0, min_delta=0.0, restore_best_weights=False):\n"
        "        super().__init__()\n"
        "        self.monitor = monitor\n        self.patience = patience\n"
        "        self.min_delta = min_delta\n        self.restore_best_weights = restore_best_weights\n"
    ),
    "begin": "    def on_train_begin(self, logs=None):\n        self.wait = 0\n        self.best = np.inf\n        self.best_weights = None\n",
    "epoch_end": (
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        current = logs[self.monitor]\n"
        "        if current < self.best - self.min_delta:\n"
        "            self.best = current\n"
        "            self.wait = 0\n"
        "            if self.restore_best_weights:\n"
        "                self.best_weights = self.model.get_weights()\n"
        "        else:\n"
        "            self.wait += 1\n"
        "            if self.wait >= self.patience:\n"
        "                self.model.stop_training = True\n"
    ),
    "end": (
        "    def on_train_end(self, logs=None):\n"
        "        if self.restore_best_weights and self.best_weights is not None:\n"
        "            self.model.set_weights(self.best_weights)\n"
    ),
}


def stopping(**replaced):
    return "class MyEarlyStopping(callbacks.Callback):\n" + "\n".join({**STOPPING, **replaced}.values())


def epoch_end(old, new):
    assert old in STOPPING["epoch_end"], old
    return STOPPING["epoch_end"].replace(old, new)


WARMUP = {
    "init": (
        "    def __init__(self, target_learning_rate, warmup_steps):\n"
        "        super().__init__()\n"
        "        self.target_learning_rate = target_learning_rate\n        self.warmup_steps = warmup_steps\n"
    ),
    "begin": "    def on_train_begin(self, logs=None):\n        self.step = 0\n",
    "batch_begin": (
        "    def on_train_batch_begin(self, batch, logs=None):\n"
        "        fraction = min(1.0, (self.step + 1) / self.warmup_steps)\n"
        "        self.model.optimizer.learning_rate = self.target_learning_rate * fraction\n"
    ),
    "batch_end": "    def on_train_batch_end(self, batch, logs=None):\n        self.step += 1\n",
    "epoch_end": "    def on_epoch_end(self, epoch, logs=None):\n        logs['learning_rate'] = float(self.model.optimizer.learning_rate)\n",
}


def warmup(**replaced):
    return "class LinearWarmup(callbacks.Callback):\n" + "\n".join(part for part in {**WARMUP, **replaced}.values() if part)


EX1 = {"ex1_test_stops", "ex1_test_min_delta", "ex1_test_restore"}
EX2 = {"ex2_test_rates", "ex2_test_logs"}

MISTAKES = {
    # -- Exercise 1 · MyEarlyStopping ----------------------------------------------------------
    "patience off by one": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("self.wait >= self.patience", "self.wait > self.patience"))},
        {"ex1_test_stops"}, None, "one epoch late"),  # one bug, one cell: min_delta is right
    "a tie counted as an improvement": ({"ex1_early_stopping": stopping(epoch_end=epoch_end(
        "current < self.best - self.min_delta", "current <= self.best - self.min_delta"))},
        {"ex1_test_stops"}, None, "a value equal to the best counts as an improvement"),
    "a tie counted, and patience off by one": ({"ex1_early_stopping": stopping(epoch_end=epoch_end(
        "current < self.best - self.min_delta", "current <= self.best - self.min_delta").replace(
        "self.wait >= self.patience", "self.wait > self.patience"))},
        {"ex1_test_stops"}, None, "one epoch late"),
    "wait not reset on an improvement": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("            self.wait = 0\n", ""))},
        {"ex1_test_stops", "ex1_test_min_delta"}, "ex1_test_stops", "self.wait is not reset"),
    "compares with the previous epoch": ({"ex1_early_stopping": stopping(
        begin=STOPPING["begin"] + "        self.previous = np.inf\n",
        epoch_end=epoch_end("        if current < self.best - self.min_delta:\n",
                            "        improved = current < self.previous - self.min_delta\n"
                            "        self.previous = current\n"
                            "        if improved:\n"))},
        {"ex1_test_stops", "ex1_test_restore"}, "ex1_test_stops", "compares with the previous epoch"),
    "min_delta ignored": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("current < self.best - self.min_delta", "current < self.best"))},
        {"ex1_test_min_delta"}, None, "min_delta is ignored"),
    "min_delta the wrong way": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("current < self.best - self.min_delta", "current < self.best + self.min_delta"))},
        {"ex1_test_min_delta"}, None, "min_delta is applied the wrong way"),
    "stops the callback, not the model": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("self.model.stop_training = True", "self.stop_training = True"))},
        {"ex1_test_stops", "ex1_test_min_delta"}, "ex1_test_stops", "self.model.stop_training = True (on the model"),
    "monitor ignored": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("logs[self.monitor]", "logs['val_loss']"))},
        {"ex1_test_stops"}, None, "logs[self.monitor]"),
    "state set in __init__, never reset": ({"ex1_early_stopping": stopping(
        init=STOPPING["init"] + "        self.wait = 0\n        self.best = np.inf\n        self.best_weights = None\n",
        begin="    def on_train_begin(self, logs=None):\n        pass\n")},
        {"ex1_test_restore"}, None, "reset self.wait, self.best"),
    "best weights kept as references": ({"ex1_early_stopping": stopping(epoch_end=epoch_end("self.model.get_weights()", "self.model.weights"))},
        {"ex1_test_restore"}, None, "self.model.weights are the variables themselves"),
    "weights kept every epoch": ({"ex1_early_stopping": stopping(epoch_end=(
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        current = logs[self.monitor]\n"
        "        if self.restore_best_weights:\n"
        "            self.best_weights = self.model.get_weights()\n"
        "        if current < self.best - self.min_delta:\n"
        "            self.best = current\n"
        "            self.wait = 0\n"
        "        else:\n"
        "            self.wait += 1\n"
        "            if self.wait >= self.patience:\n"
        "                self.model.stop_training = True\n"))},
        {"ex1_test_restore"}, None, "only when the value improves"),
    "restores only when stopping early": ({"ex1_early_stopping": stopping(
        epoch_end=epoch_end("                self.model.stop_training = True\n",
                            "                self.model.stop_training = True\n"
                            "                if self.restore_best_weights:\n"
                            "                    self.model.set_weights(self.best_weights)\n"),
        end="    def on_train_end(self, logs=None):\n        pass\n")},
        {"ex1_test_restore"}, None, "whether or not training stopped early"),
    "never restores": ({"ex1_early_stopping": stopping(end="    def on_train_end(self, logs=None):\n        pass\n")},
        {"ex1_test_restore"}, None, "put it back in on_train_end"),
    "never restores: the message shows the losses the test passed, and where training stopped": (
        {"ex1_early_stopping": stopping(end="    def on_train_end(self, logs=None):\n        pass\n")},
        {"ex1_test_restore"}, None, "val_loss = [1.0, 0.6, 0.7, 0.8, 0.9], stopped early after epoch 3"),
    "restores although restore_best_weights=False": ({"ex1_early_stopping": stopping(
        epoch_end=epoch_end("            if self.restore_best_weights:\n                self.best_weights", "            if True:\n                self.best_weights"),
        end="    def on_train_end(self, logs=None):\n        if self.best_weights is not None:\n            self.model.set_weights(self.best_weights)\n")},
        {"ex1_test_restore"}, None, "with restore_best_weights=False, leave the weights"),
    "MyEarlyStopping not started": ({"ex1_early_stopping": stopping(
        begin="    def on_train_begin(self, logs=None):\n        raise NotImplementedError()\n")},
        EX1, None, "Not done yet: `MyEarlyStopping.on_train_begin`"),
    # -- Exercise 2 · LinearWarmup -----------------------------------------------------------------
    "batch index instead of a step counter": ({"ex2_linear_warmup": warmup(batch_begin=WARMUP["batch_begin"].replace("self.step + 1", "batch + 1"))},
        {"ex2_test_rates"}, None, "`batch` restarts at 0 each epoch"),
    "counter reset every epoch": ({"ex2_linear_warmup": warmup(
        begin="    def on_epoch_begin(self, epoch, logs=None):\n        self.step = 0\n")},
        {"ex2_test_rates"}, None, "`batch` restarts at 0 each epoch"),
    "counter advanced twice per batch": ({"ex2_linear_warmup": warmup(
        batch_begin=WARMUP["batch_begin"] + "        self.step += 1\n")},
        {"ex2_test_rates"}, None, "advances twice per batch"),
    "first batch at zero": ({"ex2_linear_warmup": warmup(batch_begin=WARMUP["batch_begin"].replace("self.step + 1", "self.step"))},
        {"ex2_test_rates"}, None, "the first batch gets a learning rate of 0"),
    "counter never advanced": ({"ex2_linear_warmup": warmup(batch_end="")},
        {"ex2_test_rates"}, None, "never advances"),
    "no cap at the target": ({"ex2_linear_warmup": warmup(batch_begin=WARMUP["batch_begin"].replace(
        "min(1.0, (self.step + 1) / self.warmup_steps)", "(self.step + 1) / self.warmup_steps"))},
        {"ex2_test_rates"}, None, "cap the fraction with min(1.0, ...)"),
    "rate set once per epoch": ({"ex2_linear_warmup": warmup(batch_begin=WARMUP["batch_begin"].replace(
        "def on_train_batch_begin(self, batch, logs=None)", "def on_epoch_begin(self, epoch, logs=None)"))},
        {"ex2_test_rates"}, None, "once per epoch"),
    "counter set in __init__ only": ({"ex2_linear_warmup": warmup(
        init=WARMUP["init"] + "        self.step = 0\n", begin="")},
        {"ex2_test_rates"}, None, "the second fit goes on from where the first one stopped"),
    "learning rate never set": ({"ex2_linear_warmup": warmup(batch_begin=WARMUP["batch_begin"].replace(
        "        self.model.optimizer.learning_rate = self.target_learning_rate * fraction\n",
        "        self.learning_rate = self.target_learning_rate * fraction\n"))},
        {"ex2_test_rates"}, None, "the learning rate is never changed"),
    "logs hold the variable": ({"ex2_linear_warmup": warmup(epoch_end=(
        "    def on_epoch_end(self, epoch, logs=None):\n        logs['learning_rate'] = self.model.optimizer.learning_rate\n"))},
        {"ex2_test_logs"}, None, "store a number"),
    "rate not logged": ({"ex2_linear_warmup": warmup(epoch_end="")},
        {"ex2_test_logs"}, None, 'a "learning_rate" entry'),
    "LinearWarmup not started": ({"ex2_linear_warmup": warmup(
        batch_begin="    def on_train_batch_begin(self, batch, logs=None):\n        raise NotImplementedError()\n")},
        EX2, None, "Not done yet: `LinearWarmup.on_train_batch_begin`"),
}

CORRECT_VARIANTS = {
    "the improvement as a gap larger than min_delta": {"ex1_early_stopping": stopping(epoch_end=epoch_end(
        "current < self.best - self.min_delta", "self.best - current > self.min_delta"))},
    "Keras-style: wait counted first, a comparison operator, copies of the arrays": {"ex1_early_stopping": stopping(
        begin="    def on_train_begin(self, logs=None):\n        self.wait, self.best, self.best_weights = 0, float('inf'), None\n",
        epoch_end=("    def on_epoch_end(self, epoch, logs=None):\n"
                   "        current = logs.get(self.monitor)\n"
                   "        self.wait += 1\n"
                   "        if np.less(current + self.min_delta, self.best):\n"
                   "            self.best, self.wait = current, 0\n"
                   "            if self.restore_best_weights:\n"
                   "                self.best_weights = [w.copy() for w in self.model.get_weights()]\n"
                   "            return\n"
                   "        if self.wait >= self.patience and epoch > 0:\n"
                   "            self.model.stop_training = True\n"))},
    "warm-up in the legacy on_batch_begin hook, assigned to the variable, counted there": {"ex2_linear_warmup": warmup(
        batch_begin=("    def on_batch_begin(self, batch, logs=None):\n"
                     "        self.step += 1\n"
                     "        rate = self.target_learning_rate * min(1.0, self.step / self.warmup_steps)\n"
                     "        self.model.optimizer.learning_rate.assign(rate)\n"),
        batch_end="",
        epoch_end=("    def on_epoch_end(self, epoch, logs=None):\n"
                   "        logs['learning_rate'] = self.model.optimizer.learning_rate.numpy()\n"))},
}


def test_the_instructor_solution_passes_everything():
    assert failures(grade_in_process(NOTEBOOK)) == {}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_plausible_mistake_fails_the_right_cells_with_a_hint(name):
    answers, failing, cell, phrase = MISTAKES[name]
    assert wrong_verdicts(grade_in_process(NOTEBOOK, answers), failing, phrase, cell) == []


@pytest.mark.parametrize("name", sorted(CORRECT_VARIANTS))
def test_a_correct_variant_passes(name):
    assert failures(grade_in_process(NOTEBOOK, CORRECT_VARIANTS[name])) == {}


def test_the_reference_rule_agrees_with_the_built_in_early_stopping():
    """The rule the checks expect is Keras's: compared with mlkit's EarlyStopping on scripted epochs."""
    from mlkit import callbacks
    from mlkit.grading.callback_checks import run_scripted_epochs

    cases = [([1.0, 0.8, 0.85, 0.9, 0.95, 0.7], 2, 0.0), ([1.0, 1.1, 0.9, 0.95, 0.92, 0.91, 0.5], 3, 0.0),
             ([1.0, 0.5, 0.6, 0.55, 0.58, 0.57, 0.4], 3, 0.0), ([1.0, 0.9, 0.95, 0.8], 0, 0.0),
             ([1.0, 0.95, 0.92, 0.85, 0.84, 0.83], 2, 0.1), ([1.0, 1.05, 1.08, 1.2], 2, 0.1),
             ([5.0, 4.0, 3.0, 2.5, 2.4], 1, 0.0)]
    for values, patience, min_delta in cases:
        run = run_scripted_epochs(callbacks.EarlyStopping(patience=patience, min_delta=min_delta),
                                  [{"val_loss": v} for v in values])
        assert (run.epochs_run - 1 if run.stopped else None) == stop_epoch(values, patience, min_delta), values
