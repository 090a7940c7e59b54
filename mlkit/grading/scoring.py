"""How many points a test cell earns: decided by what its checks reported.

A test cell's checks either all pass (each prints `✓ title`) or one fails
and the cell ends with an error (a `GradingFailure`, or the reason the
kernel died or timed out). So the score is the cell's points when no error
output is there, else 0, and the reason is what that error says. What the
student's code printed to stderr (warnings, debug lines) is a note, not a
failure: nbgrader's own rule scores any stderr as 0, this one does not.

    >>> from nbformat.v4 import new_code_cell, new_output
    >>> cell = new_code_cell(metadata={"nbgrader": {"grade": True, "solution": False, "points": 2}})
    >>> cell.outputs = [new_output("stream", name="stderr", text="UserWarning: converted to float32"),
    ...                 new_output("stream", name="stdout", text="✓ SimpleDense builds lazily")]
    >>> score_test_cell(cell)
    (2.0, 2.0, '')
    >>> cell.outputs.append(new_output("error", ename="GradingFailure", evalue="",
    ...                                traceback=["✗ output", "  Expected: (2, 4)"]))
    >>> score_test_cell(cell)
    (0.0, 2.0, '✗ output / Expected: (2, 4)')

This is the one place where a test cell's score is decided: the
`ScoreFromChecks` step (grading_steps.py) writes it into nbgrader's
gradebook, and grades_by_test.csv takes its reason from here too.
"""

import re

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
REASON_LENGTH = 500


def score_test_cell(cell):
    """(score, max_score, reason) of an executed test cell; reason is "" when nothing was lost."""
    max_score = float(cell.metadata["nbgrader"]["points"])
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if cell.cell_type != "code":
        return 0.0, max_score, "this test cell was not code, so it did not run"
    if errors:
        return 0.0, max_score, error_text(errors)
    return max_score, max_score, ""


def error_text(errors):
    """The error outputs of a cell as one line: what the learner read, without colours."""
    lines = [ANSI_ESCAPE.sub("", line) for error in errors
             for line in error.get("traceback") or [f"{error.get('ename', '')}: {error.get('evalue', '')}"]]
    text = " / ".join(" ".join(line.split()) for line in lines if line.strip())
    return text[:REASON_LENGTH]
