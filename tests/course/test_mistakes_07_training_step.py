"""07 · The training step inside a layer: the hidden tests catch the plausible wrong answers.

Each case hands one exercise a typical mistake (graded in this process with
`grade_in_process`; the instructor's solution stands in for the other
exercise) and states which test cells fail and a phrase of the message the
learner reads there. Correct variants must pass every test cell.
"""

from pathlib import Path

import pytest

from mlkit.grading.authoring import failures, grade_in_process, wrong_verdicts

NOTEBOOK = (Path(__file__).resolve().parents[2] / "solutions" / "07_training_step_in_a_layer"
            / "training_step_in_a_layer.ipynb")

# -- answers, assembled from parts ---------------------------------------------

ANNEALED = {
    "init": (
        "    def __init__(self, anneal_steps, rate=0.01, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.anneal_steps = anneal_steps\n        self.rate = rate\n"
    ),
    "call": (
        "    def call(self, inputs):\n"
        "        weight = min(1.0, self.training_step / self.anneal_steps)\n"
        "        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n"
        "        return inputs\n"
    ),
    "config": (
        "    def get_config(self):\n"
        "        config = super().get_config()\n"
        "        config.update({'anneal_steps': self.anneal_steps, 'rate': self.rate})\n"
        "        return config\n"
    ),
}


def annealed(**replaced):
    return "class AnnealedActivityPenalty(layers.Layer):\n" + "\n".join(p for p in {**ANNEALED, **replaced}.values() if p)


def annealed_call(old, new):
    assert old in ANNEALED["call"], old
    return ANNEALED["call"].replace(old, new)


BOUND = {
    "init": (
        "    def __init__(self, optimizer, anneal_steps, rate=0.01, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.optimizer = optimizer\n"
        "        self.anneal_steps = anneal_steps\n        self.rate = rate\n"
    ),
    "call": (
        "    def call(self, inputs):\n"
        "        step = ops.cast(self.optimizer.iterations, 'float32')\n"
        "        weight = ops.minimum(1.0, step / self.anneal_steps)\n"
        "        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n"
        "        return inputs\n"
    ),
}


def bound(**replaced):
    return "class OptimizerBoundPenalty(layers.Layer):\n" + "\n".join({**BOUND, **replaced}.values())


# A layer-local counter (approach 2 of the notebook), advanced in training calls.
COUNTER_INIT = ANNEALED["init"] + "        self.step_counter = 0\n"
COUNTER_CALL = (
    "    def call(self, inputs, training=False):\n"
    "        weight = min(1.0, self.step_counter / self.anneal_steps)\n"
    "        if training:\n"
    "            self.step_counter += 1\n"
    "        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n"
    "        return inputs\n"
)

EX1 = {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference", "ex1_test_config"}
EX2 = {"ex2_test_fit", "ex2_test_reads_optimizer"}

MISTAKES = {
    # -- Exercise 1 · AnnealedActivityPenalty -----------------------------------------------
    "a counter of its own, advanced in training": ({"ex1_annealed_penalty": annealed(init=COUNTER_INIT, call=COUNTER_CALL)},
        {"ex1_test_two_calls", "ex1_test_config"}, "ex1_test_two_calls", "the layer counts its own calls"),
    "a counter of its own, advanced at every call": ({"ex1_annealed_penalty": annealed(
        init=COUNTER_INIT, call=COUNTER_CALL.replace("        if training:\n            self.step_counter", "        self.step_counter"))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference", "ex1_test_config"}, "ex1_test_inference",
        "evaluate and predict are not training steps"),
    "a counter advanced before it is read": ({"ex1_annealed_penalty": annealed(init=COUNTER_INIT, call=(
        "    def call(self, inputs, training=False):\n"
        "        if training:\n"
        "            self.step_counter += 1\n"
        "        weight = min(1.0, self.step_counter / self.anneal_steps)\n"
        "        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n"
        "        return inputs\n"))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_config"}, "ex1_test_schedule", "one step ahead"),
    "step + 1": ({"ex1_annealed_penalty": annealed(call=annealed_call("self.training_step / ", "(self.training_step + 1) / "))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference"}, "ex1_test_schedule", "one step ahead"),
    "integer division": ({"ex1_annealed_penalty": annealed(call=annealed_call("self.training_step / ", "self.training_step // "))},
        EX1, "ex1_test_schedule", "integer division"),
    "no cap at 1": ({"ex1_annealed_penalty": annealed(call=annealed_call(
        "min(1.0, self.training_step / self.anneal_steps)", "self.training_step / self.anneal_steps"))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference"}, "ex1_test_schedule", "cap it with min(1.0, ...)"),
    "step read once in __init__": ({"ex1_annealed_penalty": annealed(
        init=ANNEALED["init"] + "        self.step = self.training_step\n",
        call=annealed_call("self.training_step / ", "self.step / "))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference", "ex1_test_config"}, "ex1_test_schedule",
        "the weight stays 0"),
    "penalty summed": ({"ex1_annealed_penalty": annealed(call=annealed_call("ops.mean(ops.square(inputs))", "ops.sum(ops.square(inputs))"))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference"}, "ex1_test_schedule", "use the mean"),
    "rate forgotten": ({"ex1_annealed_penalty": annealed(call=annealed_call("weight * self.rate * ", "weight * "))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference"}, "ex1_test_schedule", "rate is missing"),
    "penalty in NumPy": ({"ex1_annealed_penalty": annealed(call=annealed_call(
        "ops.mean(ops.square(inputs))", "np.mean(np.square(inputs.numpy()))"))},
        {"ex1_test_config"}, None, "not NumPy"),
    "losses kept in a list of its own": ({"ex1_annealed_penalty": annealed(
        init=ANNEALED["init"] + "        self.penalties = []\n",
        call=annealed_call("        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n",
                           "        self.penalties.append(weight * self.rate * ops.mean(ops.square(inputs)))\n"
                           "        self.add_loss(self.penalties)\n"))},
        EX1, "ex1_test_config", "losses pile up from call to call"),
    "inputs not returned": ({"ex1_annealed_penalty": annealed(call=annealed_call("        return inputs\n", "        return ops.square(inputs)\n"))},
        {"ex1_test_schedule", "ex1_test_two_calls", "ex1_test_inference"}, None, "return inputs"),
    "get_config without rate": ({"ex1_annealed_penalty": annealed(config=ANNEALED["config"].replace(", 'rate': self.rate", ""))},
        {"ex1_test_config"}, None, "'rate': self.rate"),
    "get_config not from the parent": ({"ex1_annealed_penalty": annealed(config=(
        "    def get_config(self):\n        return {'anneal_steps': self.anneal_steps, 'rate': self.rate}\n"))},
        {"ex1_test_config"}, None, "config = super().get_config()"),
    "AnnealedActivityPenalty not started": ({"ex1_annealed_penalty": annealed(
        init="    def __init__(self, anneal_steps, rate=0.01, **kwargs):\n        raise NotImplementedError()\n")},
        EX1, None, "Not done yet: `AnnealedActivityPenalty.__init__`"),
    "rate without its default": ({"ex1_annealed_penalty": annealed(init=ANNEALED["init"].replace("rate=0.01", "rate"))},
        {"ex1_test_config"}, None, "missing 1 required positional argument: 'rate'"),
    "another default rate": ({"ex1_annealed_penalty": annealed(init=ANNEALED["init"].replace("rate=0.01", "rate=0.1"))},
        {"ex1_test_config"}, None, "rate defaults to 0.01"),
    "super().__init__() without **kwargs": ({"ex1_annealed_penalty": annealed(
        init=ANNEALED["init"].replace("super().__init__(**kwargs)", "super().__init__()"))},
        {"ex1_test_config"}, None, "pass **kwargs to super().__init__"),
    "rate kept as a tensor: the config holds a tensor": ({"ex1_annealed_penalty": annealed(
        init=ANNEALED["init"].replace("self.rate = rate", "self.rate = ops.convert_to_tensor(rate)"))},
        {"ex1_test_config"}, None, "plain values (numbers, strings, lists, dicts) that JSON can store"),
    # -- Exercise 2 · OptimizerBoundPenalty ----------------------------------------------------
    "another default rate (bound)": ({"ex2_optimizer_bound_penalty": bound(
        init=BOUND["init"].replace("rate=0.01", "rate=0.1"))},
        {"ex2_test_reads_optimizer"}, None, "give it the default the exercise asks for (rate=0.01)"),
    "super().__init__() without **kwargs (bound)": ({"ex2_optimizer_bound_penalty": bound(
        init=BOUND["init"].replace("super().__init__(**kwargs)", "super().__init__()"))},
        {"ex2_test_reads_optimizer"}, None, "super().__init__(**kwargs)"),
    "mlkit's training_step instead of the optimizer": ({"ex2_optimizer_bound_penalty": bound(call=BOUND["call"].replace(
        "ops.cast(self.optimizer.iterations, 'float32')", "self.training_step"))},
        {"ex2_test_reads_optimizer"}, None, "not self.training_step"),
    "the optimizer's counter stored as an attribute": ({"ex2_optimizer_bound_penalty": bound(
        init=BOUND["init"].replace("self.optimizer = optimizer", "self.iterations = optimizer.iterations"),
        call=BOUND["call"].replace("self.optimizer.iterations", "self.iterations"))},
        {"ex2_test_reads_optimizer"}, None, "becomes a weight of the layer"),
    "step read once in __init__ (bound)": ({"ex2_optimizer_bound_penalty": bound(
        init=BOUND["init"] + "        self.step = float(optimizer.iterations)\n",
        call=BOUND["call"].replace("ops.cast(self.optimizer.iterations, 'float32')", "self.step"))},
        EX2, "ex2_test_fit", "the weight stays 0"),
    "iterations + 1": ({"ex2_optimizer_bound_penalty": bound(call=BOUND["call"].replace(
        "ops.cast(self.optimizer.iterations, 'float32')", "ops.cast(self.optimizer.iterations + 1, 'float32')"))},
        EX2, "ex2_test_fit", "one step ahead"),
    "OptimizerBoundPenalty not started": ({"ex2_optimizer_bound_penalty": bound(
        call="    def call(self, inputs):\n        raise NotImplementedError()\n")},
        EX2, None, "Not done yet: `OptimizerBoundPenalty.call`"),
}

CORRECT_VARIANTS = {
    "the weight with ops, the config with a dict merge": {"ex1_annealed_penalty": annealed(
        call=("    def call(self, inputs):\n"
              "        weight = ops.minimum(1.0, ops.cast(self.training_step, 'float32') / self.anneal_steps)\n"
              "        self.add_loss(self.rate * weight * ops.mean(inputs * inputs))\n"
              "        return inputs\n"),
        config="    def get_config(self):\n        return {**super().get_config(), 'anneal_steps': self.anneal_steps, 'rate': self.rate}\n")},
    "the step as a Python int from the optimizer": {"ex2_optimizer_bound_penalty": bound(call=(
        "    def call(self, inputs):\n"
        "        weight = min(1.0, int(self.optimizer.iterations) / self.anneal_steps)\n"
        "        self.add_loss(weight * self.rate * ops.mean(ops.square(inputs)))\n"
        "        return inputs\n"))},
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
