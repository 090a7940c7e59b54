"""The trusted judge: a test cell judged from the records its probe run sent.

Each test plays both sides in this process (the `both_sides` fixture): the
test cell runs in "probe" mode over a learner's cell (its records collected
instead of displayed), then the same test source is judged from those
records alone, with the learner's names as placeholders. Lies told by the
probing side are plain data, judged as such.
"""

import numpy as np
import pytest

from mlkit.grading import judge, probe_channel

LAYER_TEST = """
import numpy as np
from mlkit import grading

with grading.exercise("SimpleDense builds lazily"):
    grading.check_builds_lazily(lambda: SimpleDense(4), input_shape=(2, 3))
    grading.check_weights(SimpleDense(4), input_shape=(2, 3), expected=[("kernel", (3, 4), True), ("bias", (4,), True)])
with grading.exercise("SimpleDense computes inputs @ kernel + bias"):
    grading.check_layer_output(lambda: SimpleDense(3), inputs=np.linspace(-1, 1, 8).reshape(2, 4),
                               expected=lambda x, w: x @ w["kernel"] + w["bias"])
with grading.exercise("SimpleDense.compute_output_shape"):
    grading.check_output_shape(lambda: SimpleDense(7), input_shape=(8, 5, 3), expected=(8, 5, 7))
with grading.exercise("gradients flow"):
    grading.check_layer_gradients(lambda: SimpleDense(3), input_shape=(2, 4))
"""

COUNT_TEST = """
from mlkit import grading

with grading.exercise("count_parameters counts"):
    grading.check_equal(count_parameters([64, 64, 10]), 4810, "count_parameters([64, 64, 10])")
    grading.check_equal(count_parameters([3, 2]), 8, "count_parameters([3, 2])")
"""


@pytest.fixture(scope="module")
def simple_dense(solution_cells):
    """The learner's SimpleDense of notebook 01 (its setup cell, then the answer)."""
    cells = solution_cells("01_the_layer/the_layer.ipynb")
    return cells.by_id["setup"] + "\n" + cells.by_id["ex1_simple_dense"]


def test_an_honest_layer_passes_on_its_records_alone(both_sides, simple_dense):
    records = both_sides.probe_records(simple_dense, LAYER_TEST)
    assert [r["kind"] for r in records].count("exercise") == 4
    verdict = judge.judge_cell(LAYER_TEST, records)
    assert verdict.passed, verdict.lines
    assert verdict.lines[0] == "✓ SimpleDense builds lazily" and len(verdict.lines) == 4


def test_a_wrong_layer_fails_with_the_usual_explanation(both_sides, simple_dense):
    records = both_sides.probe_records(simple_dense.replace(" + self.bias", ""), LAYER_TEST)
    verdict = judge.judge_cell(LAYER_TEST, records)
    assert not verdict.passed
    text = "\n".join(verdict.lines)
    assert "✗ SimpleDense computes inputs @ kernel + bias" in text and "Checked:" in text and "Expected:" in text


def test_records_are_plain_json_data(both_sides, simple_dense):
    import json

    records = both_sides.probe_records(simple_dense, LAYER_TEST)
    assert json.loads(json.dumps(records)) == records


def test_a_patched_grading_module_in_the_kernel_changes_nothing(both_sides, simple_dense):
    cheat = simple_dense.replace(" + self.bias", "") + (
        "\nimport contextlib\nfrom mlkit import grading\n"
        "grading.exercise = lambda *a, **k: contextlib.suppress(BaseException)\n")
    records = both_sides.probe_records(cheat, LAYER_TEST)
    assert not judge.judge_cell(LAYER_TEST, records).passed


def test_lying_values_are_judged_as_the_plain_data_they_are(both_sides):
    liar = ("class Liar:\n    def __eq__(self, other):\n        return True\n"
            "def count_parameters(sizes):\n    return Liar()\n")
    records = both_sides.probe_records(liar, COUNT_TEST)
    verdict = judge.judge_cell(COUNT_TEST, records)
    assert not verdict.passed
    assert "Got:      a Liar" in "\n".join(verdict.lines)


def test_forged_records_gain_only_what_they_claim_and_extra_records_fail(both_sides):
    honest = "def count_parameters(sizes):\n    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))\n"
    records = both_sides.probe_records(honest, COUNT_TEST)
    assert judge.judge_cell(COUNT_TEST, records).passed
    forged = [dict(r, values=["4810"]) if r.get("kind") == "check" else r for r in records]
    assert not judge.judge_cell(COUNT_TEST, forged).passed   # a string is not the number 4810
    assert not judge.judge_cell(COUNT_TEST, records + records).passed
    assert not judge.judge_cell(COUNT_TEST, records[:-2]).passed
    assert not judge.judge_cell(COUNT_TEST, []).passed


def test_a_stub_that_fails_while_the_arguments_are_computed_says_not_done_yet(both_sides):
    stub = "class SimpleDense:\n    def __init__(self, units):\n        raise NotImplementedError()\n"
    test = ("from mlkit import grading\n\nwith grading.exercise('weights'):\n"
            "    grading.check_weights(SimpleDense(4), input_shape=(2, 3), expected=[('kernel', (3, 4))])\n"
            "with grading.exercise('again'):\n"
            "    grading.check_weights(SimpleDense(4), input_shape=(2, 3), expected=[('kernel', (3, 4))])\n")
    records = both_sides.probe_records(stub, test)
    verdict = judge.judge_cell(test, records)
    assert not verdict.passed and "Not done yet: `SimpleDense.__init__`" in "\n".join(verdict.lines)


def test_an_error_in_the_learner_code_is_reported_where_it_happened(both_sides):
    stub = "def count_parameters(sizes):\n    raise NotImplementedError()\n"
    records = both_sides.probe_records(stub, COUNT_TEST)
    verdict = judge.judge_cell(COUNT_TEST, records)
    assert not verdict.passed and "Not done yet" in "\n".join(verdict.lines)


def test_arrays_travel_as_npy_without_pickle():
    plain = probe_channel.encode({"w": np.arange(6.0).reshape(2, 3), "shape": (2, 3), "n": np.int64(3)})
    value = probe_channel.decode(plain)
    np.testing.assert_array_equal(value["w"], np.arange(6.0).reshape(2, 3))
    assert value["shape"] == (2, 3) and value["n"] == 3
    objects = probe_channel.encode(np.array([object()], dtype=object))
    assert probe_channel.decode(objects) != probe_channel.decode(objects)  # unreadable: equal to nothing


def test_a_student_value_in_a_condition_cannot_be_judged_here():
    verdict = judge.judge_cell("if learner_flag:\n    pass\n", [])
    assert verdict.unjudgeable
    assert judge.judge_cell("from mlkit.grading.some_checks import check_not_split_yet\n", []).unjudgeable


@pytest.mark.parametrize("name", sorted(judge.JUDGED_CHECKS))
def test_every_check_said_to_be_judged_records_its_observations(name):
    import inspect

    from mlkit import grading
    from mlkit.grading import checks, layer_building, layer_computation, layer_state, weights_checks
    from mlkit.grading import (
        callback_checks, capstone_checks, config_checks, loss_checks, model_checks, standard_layers_checks,
        training_step_checks,
    )
    from mlkit.grading import result_checks

    modules = (grading, checks, layer_building, layer_computation, layer_state, weights_checks,
               config_checks, loss_checks, model_checks, callback_checks, training_step_checks,
               standard_layers_checks, capstone_checks, result_checks)
    function = next(getattr(m, name) for m in modules if hasattr(m, name))
    assert f'observing("{name}")' in inspect.getsource(function)


def graded_notebook(test_source, records, kernel_text):
    """A one-test notebook as the sandbox leaves it: the kernel's printout and its records."""
    import nbformat

    from mlkit.grading.authoring import graded_cell, notebook

    source = notebook([graded_cell("ex1_test", 1, test_source)])
    graded = nbformat.from_dict(source)
    graded.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=kernel_text)] + [
        nbformat.v4.new_output("display_data", data={probe_channel.RECORD_TYPE: record}) for record in records]
    return source, graded


def test_a_kernel_that_claims_a_pass_the_judge_refuses_is_noted(both_sides, simple_dense):
    cheat = simple_dense.replace(" + self.bias", "") + "\nimport numpy as np\nnp.allclose = lambda *a, **k: True\n"
    kernel = both_sides.run_kernel(cheat, LAYER_TEST)
    assert "✓ SimpleDense computes inputs @ kernel + bias" in kernel.printed
    source, graded = graded_notebook(LAYER_TEST, kernel.records, kernel.printed)
    verdicts = judge.judge_notebook(graded, source)
    assert not verdicts["ex1_test"].passed
    texts = [o.get("text", "") for o in graded.cells[0].outputs if o.output_type == "stream"]
    assert any(judge.DISAGREEMENT in text for text in texts)
    assert not judge.records_of(graded.cells[0].outputs)


def test_an_honest_kernel_and_the_judge_agree(both_sides, simple_dense):
    kernel = both_sides.run_kernel(simple_dense, LAYER_TEST)
    source, graded = graded_notebook(LAYER_TEST, kernel.records, kernel.printed)
    assert judge.judge_notebook(graded, source)["ex1_test"].passed
    assert [o.output_type for o in graded.cells[0].outputs] == ["stream"]
    assert judge.DISAGREEMENT not in graded.cells[0].outputs[0].text


def test_an_expected_value_computed_from_student_objects_is_left_to_the_sandbox():
    source = ("from mlkit import grading\n\nwith grading.exercise('sizes'):\n"
              "    grading.check_equal(count_parameters([3, 2]), [w.name for w in learner_layer.weights], 'names')\n")
    assert judge.judge_cell(source, [{"kind": "exercise", "title": "sizes"}]).unjudgeable
    numeric = ("import numpy as np\nfrom mlkit import grading\n\nwith grading.exercise('values'):\n"
               "    grading.check_close(learner_output, np.asarray(learner_layer.kernel) * 2, 'values')\n")
    assert judge.judge_cell(numeric, [{"kind": "exercise", "title": "values"}]).unjudgeable


def test_test_code_that_needs_the_student_objects_is_left_to_the_sandbox():
    subclass = ("from mlkit import grading\n\nwith grading.exercise('subclass'):\n"
                "    class Sharper(LearnerLayer):\n        pass\n"
                "    grading.check_equal(Sharper.__name__, 'Sharper', 'name')\n")
    assert judge.judge_cell(subclass, [{"kind": "exercise", "title": "subclass"}]).unjudgeable
    library = ("import mlkit\nfrom mlkit import grading\n\nwith grading.exercise('model'):\n"
               "    model = mlkit.Sequential([mlkit.Input(shape=(3,)), LearnerLayer(2)])\n"
               "    grading.check_equal(model.count_params(), 8, 'params')\n")
    assert judge.judge_cell(library, [{"kind": "exercise", "title": "model"}]).unjudgeable


def test_a_check_that_cannot_use_the_records_fails_rather_than_falls_back():
    records = [{"kind": "exercise", "title": "weights"},
               {"kind": "check", "name": "check_weights", "values": [None, "Dense", True, "not a list", True]}]
    source = ("from mlkit import grading\n\nwith grading.exercise('weights'):\n"
              "    grading.check_weights(LearnerLayer(2), expected=[('kernel', (3, 2))])\n")
    verdict = judge.judge_cell(source, records)
    assert verdict.unjudgeable is None and not verdict.passed


def test_cells_judged_on_many_threads_get_their_own_verdicts(both_sides, simple_dense):
    """The class grader judges notebooks on several threads at once: each verdict is its own,
    and the process's stdout is the same afterwards."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    honest = both_sides.probe_records(simple_dense, LAYER_TEST)
    wrong = both_sides.probe_records(simple_dense.replace(" + self.bias", ""), LAYER_TEST)
    stdout = sys.stdout
    cases = [honest, wrong] * 40
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda records: judge.judge_cell(LAYER_TEST, records), cases))
    assert [verdict.passed for verdict in verdicts] == [True, False] * 40
    assert all(len(verdict.lines) == 4 for verdict in verdicts[::2])
    assert sys.stdout is stdout


def test_gradients_are_compared_by_the_judge_not_in_the_kernel(both_sides, simple_dense):
    """A layer that leaves mlkit.ops has no gradient; the kernel faking np.allclose cannot hide it."""
    through_numpy = simple_dense.replace(
        "return ops.matmul(inputs, self.kernel) + self.bias",
        "return ops.convert_to_tensor(np.asarray(inputs) @ np.asarray(self.kernel) + np.asarray(self.bias))",
    )
    cheat = through_numpy + "\nimport numpy as np\nnp.allclose = lambda *a, **k: True\n"
    records = both_sides.probe_records(cheat, LAYER_TEST)
    verdict = judge.judge_cell(LAYER_TEST, records)
    assert not verdict.passed
    assert "✗ gradients flow" in "\n".join(verdict.lines)


BARE_CHECK_TEST = """
import numpy as np
from mlkit import grading

grading.check_layer_output(lambda: SimpleDense(3), inputs=np.linspace(-1, 1, 8).reshape(2, 4),
                           expected=lambda x, w: x @ w["kernel"] + w["bias"])
"""


@pytest.mark.parametrize("test_cell", [LAYER_TEST, BARE_CHECK_TEST], ids=["in an exercise", "outside any exercise"])
def test_records_a_check_cannot_use_fail_with_a_reason(both_sides, simple_dense, test_cell):
    """Forged values that are not what they claim (an array that does not decode) do not pass,
    and the verdict says the results could not be judged."""
    records = both_sides.probe_records(simple_dense, test_cell)
    forged = [dict(r, values=[{"npy": "not base64 of an array"}] * len(r["values"])) if r.get("name") == "check_layer_output" else r
              for r in records]
    verdict = judge.judge_cell(test_cell, forged)
    assert not verdict.passed
    assert "could not be judged" in "\n".join(verdict.lines)
