"""`judge`: a test cell's verdict, computed in the trusted grader from plain data.

At autograde the test cell runs twice. In the sandboxed kernel its checks
only observe the student's objects and send what they saw as records
(mlkit.grading.probe_channel). Then, here, in the instructor's process, the
same test cell, its source taken from solutions/ (never from the
submission), runs again in "judge" mode: the student's names are inert
placeholders, every observation is read from the kernel's records, and the
checks decide. Patching mlkit.grading, NumPy or builtins in the kernel
changes what the kernel reports about itself, not what is decided here.

    verdict = judge_cell(test_source, records)
    verdict.passed, verdict.lines     # the score, and the ✓ / ✗ explanation

A test cell that uses a check not yet split into observation and judgment
(`JUDGED_CHECKS` lists those that are), or that tests a student value in a
condition of its own, cannot be judged here: `verdict.unjudgeable` says why,
and the grader keeps the sandboxed kernel's verdict for that cell.
"""

import ast
import builtins
import contextlib
import io
import json
import re
import threading
from dataclasses import dataclass, field

from mlkit.grading import held_out, probe_channel
from mlkit.grading.failure import GradingFailure

# The checks whose observations travel as records (each uses probe_channel.observing).
JUDGED_CHECKS = frozenset({
    "check", "check_equal", "check_close", "check_shape", "check_type", "check_raises", "check_defined",
    "check_builds_lazily", "check_weights_created_once", "check_weights", "check_weight_shapes",
    "check_forwards_base_arguments", "check_layer_output", "check_output_shape", "check_layer_gradients",
    "check_gradients", "check_initial_weights",
    "check_weight_list", "check_trainable_split", "check_freeze_and_unfreeze", "check_fit_moves",
    "check_layer_output_ordered",
    "check_config", "check_losses_reset", "check_state_frozen_at_inference", "check_counter_advances",
    "check_multi_input_weights", "check_multi_input_output", "check_multi_input_gradients",
    "check_layers_created_once", "check_dropout_follows_training", "check_train_step_update",
    "check_train_step_metrics", "check_custom_gradient", "check_annealing_during_fit",
    "check_annealing_at_inference", "check_penalty_gradient", "check_reads_the_optimizer",
    "check_dropout_inference", "check_dropout_training", "check_dropout_gradient", "check_dropout_seeding",
    "check_batch_norm_training_output", "check_batch_norm_inference_output", "check_moving_statistics_update",
    "check_frozen_batch_norm", "check_frozen_in_fit", "check_weights_kept", "check_cell_step",
    "check_cell_matches_simple_rnn", "check_conv_block_output", "check_training_reaches_batch_norm",
    "check_freezing", "check_layer_types", "check_frozen_layers", "check_schedule",
    "check_compiled_for_classification", "check_early_stopping", "check_model_checkpoint", "check_callbacks_in_fit",
    "check_held_out_accuracy", "check_checkpoint_file", "check_reloaded", "check_block_gradients",
    "check_name_forwarded",
    "check_config_has_every_argument", "check_config_round_trip", "check_save_and_load", "check_loss_values",
    "check_loss_config", "check_added_loss", "check_stops_at", "check_restores_best_weights", "check_fresh_start",
    "check_warmup_rates", "check_warmup_logs", "check_weights_load_into", "check_from_config_returns_the_subclass",
    "check_model_config_loads",
    "check_result_equal", "check_result_close", "check_results_close", "check_result",
    "check_parameter_count", "check_returns_the_model", "check_histories", "check_fit_trains_the_head",
})
_CHECK_NAME = re.compile(r"^check(_\w+)?$")
# Judging switches process-wide state (probe_channel.state, sys.stdout): when the
# grader runs notebooks on several threads, one test cell is judged at a time.
_ONE_AT_A_TIME = threading.Lock()


@dataclass
class Verdict:
    passed: bool
    lines: list = field(default_factory=list)
    unjudgeable: str = None
    notes: list = field(default_factory=list)


class StudentNames(dict):
    """A test cell's namespace in the trusted grader: a name the cell did not define
    (nor import, nor a builtin) is the student's, and stands for a placeholder."""

    def __missing__(self, name):
        if hasattr(builtins, name):
            raise KeyError(name)
        return probe_channel.Placeholder(f"the student's {name}")


def records_of(outputs):
    """The probe records among a cell's outputs, in order (one too large to read is a mismatch)."""
    records = []
    for output in outputs:
        if output.get("output_type") == "display_data" and probe_channel.RECORD_TYPE in output.get("data", {}):
            record = output["data"][probe_channel.RECORD_TYPE]
            too_large = len(json.dumps(record)) > 2 * probe_channel.RECORD_LIMIT
            records.append({"kind": "too large"} if too_large else record)
    return records


def unjudged_checks(source):
    """The check functions `source` calls that are not split for the trusted judge."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ["(the test code does not parse)"]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[-1])
    return sorted(name for name in names if _CHECK_NAME.match(name) and name not in JUDGED_CHECKS)


def imports_of(sources):
    """The top-level import statements of `sources` (the notebook's own cells), as one source."""
    statements = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(statements)


def judge_cell(source, records, imports=""):
    """The `Verdict` of the test cell `source` (trusted) on the kernel's `records` (plain data)."""
    unknown = unjudged_checks(source)
    if unknown:
        return Verdict(False, unjudgeable=f"uses {', '.join(unknown)}, judged in the sandbox only")
    namespace = StudentNames(__name__="__main__")
    exec(compile(imports, "<notebook imports>", "exec"), namespace)
    printed = io.StringIO()
    failure = None
    with _ONE_AT_A_TIME, probe_channel.judging(records), contextlib.redirect_stdout(printed):
        state = probe_channel.state
        try:
            exec(compile(source, "<test cell>", "exec"), namespace)
            if state.position != len(state.records):
                raise probe_channel.RecordMismatch("more results than the test cell's checks")
        except probe_channel.Unjudgeable as reason:
            return Verdict(False, unjudgeable=str(reason))
        except GradingFailure as error:
            failure = error
        except Exception as error:
            if probe_channel.raised_by_test_code(error):  # the test code itself needs the student's objects
                return Verdict(False, unjudgeable=f"the test code could not run on placeholders ({type(error).__name__})")
            # A check met data it cannot use: a failure.
            failure = GradingFailure(problem=f"Your notebook's results could not be judged "
                                             f"({type(error).__name__} while judging them).")
        notes = [OPAQUE_NOTE.format(", ".join(sorted(set(state.opaque))))] if state.opaque else []
        notes += [TAMPER_NOTE.format(", ".join(sorted(set(state.tampered))))] if state.tampered else []
        if failure is not None and state.position < len(state.records):
            # A kernel stops at the first failing exercise, as the judge does: records after it were forged.
            notes.append(EXTRA_NOTE)
    lines = [line for line in printed.getvalue().split("\n") if line.startswith("✓ ")]
    if failure is not None:
        return Verdict(False, lines + failure.lines(), notes=notes)
    return Verdict(True, lines, notes=notes)


OPAQUE_NOTE = "Note: your code handed back values that are not plain data ({}); they were judged as such."
TAMPER_NOTE = "Note: your notebook's kernel had replaced parts of the grading tools or libraries ({})."
EXTRA_NOTE = "Note: your notebook sent results that do not fit its checks, after the exercise that failed."


# -- a whole notebook ------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOTE_LIMIT = 2000  # characters of the kernel's own output kept as a note, per cell
# Errors the grader itself wrote into a cell (a dead or stuck kernel): kept as they are.
_GRADER_ERRORS = {"DeadKernelError", "CellTimeoutError", "KernelDiedTooOften"}


def judge_notebook(notebook, source):
    """Replace the verdict of each test cell of the executed `notebook` by the trusted one.

    `source` is the instructor's notebook (solutions/): the test code run
    here is its, by grade_id. Returns {grade_id: Verdict}. A cell whose test
    cannot be judged here keeps the sandboxed kernel's outputs.
    """
    tests, setup = {}, []
    for cell in source.cells:
        info = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or info.get("solution"):
            continue
        if info.get("grade"):
            tests[info.get("grade_id")] = cell.source
        setup.append(cell.source)
    imports = imports_of(setup)
    verdicts = {}
    for cell in notebook.cells:
        info = cell.metadata.get("nbgrader", {})
        grade_id = info.get("grade_id")
        if cell.cell_type != "code" or not info.get("grade") or info.get("solution") or grade_id not in tests:
            continue
        outputs = cell.get("outputs", [])
        records = records_of(outputs)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if not records and any(o.get("ename") in _GRADER_ERRORS for o in errors):
            verdicts[grade_id] = Verdict(False, unjudgeable="the kernel died or hung in this cell")
            continue
        verdict = judge_cell(tests[grade_id], records, imports)
        verdicts[grade_id] = verdict
        if verdict.unjudgeable is None:
            cell.outputs = _judged_outputs(verdict, outputs)
            stopped = any(o.get("ename") in _GRADER_ERRORS for o in errors)  # a kernel stopped mid-test
            judged = _outcomes([{"output_type": "stream", "text": "\n".join(verdict.lines)}])
            if not stopped and not held_out.kernel_could_not_judge(records) and _outcomes(outputs) != judged:
                cell.outputs.append(_stream(DISAGREEMENT + "\n"))
            for note in verdict.notes:
                cell.outputs.append(_stream(note + "\n"))
    for cell in notebook.cells:  # records left in other cells (sent from a student's own cell)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not records_of([o])]
    return verdicts


# The same checks judge the same plain data on both sides: only tampering in the
# kernel makes its own run of a test end otherwise than the grader's judgment (but
# where the kernel lacked the labels of the course's private held-out digits).
DISAGREEMENT = ("Note: your notebook's own run of this test ended differently from the grader's judgment "
                "of the results it sent.")


def _outcomes(outputs):
    """Which exercises a run of a test cell passed (✓) and which one failed (✗), from its outputs."""
    lines = []
    for output in outputs:
        if output.get("output_type") == "stream":
            lines += "".join(output.get("text", "")).split("\n")
        elif output.get("output_type") == "error":
            lines += [_ANSI.sub("", line) for line in output.get("traceback", [])[:1]]
    return [line.strip() for line in lines if line.strip().startswith(("✓ ", "✗ "))]


def _stream(text):
    from nbformat import NotebookNode

    return NotebookNode(output_type="stream", name="stdout", text=text)


def _judged_outputs(verdict, kernel_outputs):
    from nbformat import NotebookNode

    outputs = []
    if verdict.passed:
        outputs.append(_stream("\n".join(verdict.lines) + "\n"))
    else:
        checks = [line for line in verdict.lines if line.startswith("✓ ")]
        explanation = verdict.lines[len(checks):]
        if checks:
            outputs.append(_stream("\n".join(checks) + "\n"))
        outputs.append(NotebookNode(output_type="error", ename="GradingFailure",
                                    evalue=(explanation or ["failed"])[0], traceback=explanation))
    note = _note(kernel_outputs)
    if note:
        outputs.append(_stream(note))
    return outputs


def _note(kernel_outputs):
    """What the student's own code printed or raised in the cell, as an inert note."""
    parts = []
    for output in kernel_outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = "".join(output.get("text", ""))
            parts += [line for line in text.split("\n") if line.strip() and not line.startswith("✓ ")]
        elif kind == "error" and output.get("ename") not in ("GradingFailure", "UnfinishedExercise"):
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    text = _ANSI.sub("", "\n".join(parts))
    if not text:
        return ""
    if len(text) > NOTE_LIMIT:
        text = text[:NOTE_LIMIT] + " …(cut)"
    return "Note: your code printed this during the test (it does not change the score):\n" + text + "\n"
