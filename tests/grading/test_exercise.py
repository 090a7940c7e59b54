"""grading.exercise: every way a block of checks can end, told to the learner.

The test cell's code is compiled as its own cell (see conftest.py) and
contains a marker line; no message may show it.
"""

import re
import signal

import pytest

from mlkit.grading import GradingFailure, UnfinishedExercise, cell_history
from mlkit.grading.exercise import DEFAULT_TIME_LIMIT, Exercise

SECRET = "hidden_marker = 'do not show'"


def run_test(notebook, body, title="the exercise", **options):
    """Run a test cell whose `with grading.exercise(...)` block holds `body`; return its failure."""
    arguments = "".join(f", {key}={value!r}" for key, value in options.items())
    source = (f"from mlkit import grading\nwith grading.exercise({title!r}{arguments}):\n"
              f"    {SECRET}\n" + "".join(f"    {line}\n" for line in body.split("\n")))
    with pytest.raises(GradingFailure) as caught:
        notebook.run(source, record=False)
    failure = caught.value
    rendered = "\n".join(failure._render_traceback_())
    assert "hidden_marker" not in rendered and "do not show" not in str(failure)
    return failure


def test_success_prints_a_check_mark(notebook, capsys):
    notebook.run("from mlkit import grading\nwith grading.exercise('two and two'):\n"
                 "    grading.check_equal(2 + 2, 4, '2 + 2')")
    assert capsys.readouterr().out == "✓ two and two\n"


def test_a_failed_check_gets_the_exercise_title(notebook):
    failure = run_test(notebook, "grading.check_equal(3, 4, 'three')", title="counting")
    assert str(failure).startswith("✗ counting\n  Checked:  three\n  Expected: 4\n  Got:      3")


def test_a_stub_says_the_exercise_is_not_done(notebook):
    notebook.run("class SimpleDense:\n    def build(self, shape):\n        raise NotImplementedError()")
    failure = run_test(notebook, "SimpleDense().build((2, 3))")
    assert isinstance(failure, UnfinishedExercise)
    assert "Not done yet: `SimpleDense.build` still raises NotImplementedError." in str(failure)


def test_not_implemented_from_the_library_is_not_a_stub(notebook):
    notebook.run("from mlkit import layers\nclass NoCall(layers.Layer):\n    pass")
    failure = run_test(notebook, "NoCall()(__import__('numpy').ones((1, 2)))")
    assert not isinstance(failure, UnfinishedExercise)
    assert "Your code raised an error during this check:\n  NotImplementedError: Layer NoCall has no call()" in str(failure)


def test_a_name_never_defined_says_to_run_its_cell(notebook):
    failure = run_test(notebook, "SimpleDense(4)")
    assert "`SimpleDense` is not defined yet." in str(failure)
    assert "run the cell where you define `SimpleDense` first" in str(failure)


def test_a_name_whose_cell_failed_says_why(notebook):
    with pytest.raises(ModuleNotFoundError):
        notebook.run("import a_missing_module\n\nclass SimpleDense:\n    pass")
    failure = run_test(notebook, "SimpleDense(4)")
    assert ("`SimpleDense` is not defined: the cell that defines it stopped with an error, so it never ran "
            "to the end.\n  That cell said: ModuleNotFoundError: No module named 'a_missing_module'") in str(failure)


def test_a_syntax_error_in_the_cell_is_quoted(notebook):
    with pytest.raises(SyntaxError):
        notebook.run("def count_parameters(sizes)\n    return 0")
    failure = run_test(notebook, "count_parameters([1, 2])")
    assert "That cell said: SyntaxError: expected ':' (line 1: `def count_parameters(sizes)`)" in str(failure)


def test_the_most_recent_cell_defining_the_name_counts(notebook):
    with pytest.raises(ZeroDivisionError):
        notebook.run("x = 1 / 0\ndef f():\n    pass")
    notebook.run("if False:\n    def f():\n        pass")  # ran, but defined nothing
    failure = run_test(notebook, "f()")
    assert "`f` is not defined, although a cell that mentions it ran." in str(failure)


def test_a_name_error_inside_the_learner_code_points_at_their_line(notebook):
    notebook.run("def double(x):\n    return 2 * y")
    failure = run_test(notebook, "double(3)")
    text = str(failure)
    assert "NameError: name 'y' is not defined" in text
    assert "Where:    `double`, line 2 of its cell: `return 2 * y`" in text


def test_an_endless_loop_is_stopped_at_the_time_limit(notebook):
    notebook.run("def spin():\n    while True:\n        pass")
    previous = signal.getsignal(signal.SIGALRM)
    failure = run_test(notebook, "spin()", time_limit=0.2)
    assert "This check did not finish within 0.2 seconds, so it was stopped." in str(failure)
    assert re.search(r"Where:    it was running `spin`, line [23] of its cell: `(while True:|pass)`", str(failure))
    assert signal.getsignal(signal.SIGALRM) is previous


def test_the_time_limit_cannot_be_swallowed_by_except_exception(notebook):
    notebook.run("def stubborn():\n    while True:\n        try:\n            pass\n        except Exception:\n            pass")
    assert "did not finish within 0.2 seconds" in str(run_test(notebook, "stubborn()", time_limit=0.2))


def test_an_interrupt_is_explained(notebook):
    notebook.run("def interrupted():\n    raise KeyboardInterrupt")
    failure = run_test(notebook, "interrupted()")
    assert "This check was stopped before it finished" in str(failure)
    assert "`interrupted`, line 2" in str(failure)


def test_endless_recursion_gets_a_hint(notebook):
    notebook.run("def call(x):\n    return call(x)")
    failure = run_test(notebook, "call(1)")
    assert "RecursionError" in str(failure) and "calls itself without end" in str(failure)


def test_a_layer_or_loss_whose_base_init_never_ran_is_told_to_call_super(notebook):
    notebook.run("from mlkit import layers, losses\n"
                 "class Forgetful(layers.Layer):\n    def __init__(self, units=2):\n        self.units = units\n"
                 "class ForgetfulLoss(losses.Loss):\n    def __init__(self, factor=0.1):\n        self.factor = factor\n")
    for expression in ("Forgetful().weights", "ForgetfulLoss().reduction"):
        failure = run_test(notebook, expression)
        assert "AttributeError" in str(failure) and "you forgot to call super().__init__()" in str(failure)
    notebook.run("class Plain(layers.Layer):\n    pass\n")
    assert "an attribute that was never set" in str(run_test(notebook, "Plain().kernel"))


def test_constructor_mistakes_get_a_hint(notebook):
    notebook.run("from mlkit import layers\n"
                 "class NoKwargs(layers.Layer):\n    def __init__(self, units=2):\n        super().__init__()\n"
                 "class NoDefault(layers.Layer):\n    def __init__(self, units, **kwargs):\n        super().__init__(**kwargs)\n")
    assert "super().__init__(**kwargs)" in str(run_test(notebook, "NoKwargs(name='x')"))
    assert "write the default in the signature" in str(run_test(notebook, "NoDefault()"))
    notebook.run("class DenseWithoutUnits(layers.Layer):\n    def __init__(self, **kwargs):\n"
                 "        super().__init__(**kwargs)\n        self.dense = layers.Dense()\n")
    assert "write the default" not in str(run_test(notebook, "DenseWithoutUnits()"))


def test_a_call_that_returns_nothing_gets_a_hint(notebook):
    notebook.run("from mlkit import layers\n"
                 "class Silent(layers.Layer):\n    def call(self, inputs):\n        inputs + 1\n")
    failure = run_test(notebook, "import numpy as np\nSilent()(np.ones((1, 2)))")
    assert "returned None" in str(failure) and "a `return` is missing" in str(failure)


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MLKIT_GRADING_TIME_LIMIT", "2.5")
    assert Exercise("t").time_limit == 2.5
    monkeypatch.delenv("MLKIT_GRADING_TIME_LIMIT")
    assert Exercise("t").time_limit == DEFAULT_TIME_LIMIT
    assert Exercise("t", time_limit=0).time_limit is None  # no limit
    monkeypatch.setenv("MLKIT_GRADING_TIME_LIMIT", "soon")
    with pytest.raises(ValueError, match="number of seconds"):
        Exercise("t")


def test_the_alarm_is_off_after_a_block(notebook):
    notebook.run("from mlkit import grading\nwith grading.exercise('quick', time_limit=5):\n    pass")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_error_that_cannot_be_printed_is_still_reported(notebook):
    notebook.run("class Odd(Exception):\n    def __str__(self):\n        raise ValueError('no')\n"
                 "def odd():\n    raise Odd()")
    failure = run_test(notebook, "odd()")
    assert "Your code raised Odd during this check." in str(failure)


def test_sys_exit_in_the_learner_code_is_reported(notebook):
    notebook.run("import sys\ndef leave():\n    sys.exit(3)")
    assert "SystemExit: 3" in str(run_test(notebook, "leave()"))
