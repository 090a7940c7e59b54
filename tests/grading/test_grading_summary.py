"""The summary of a grading step (mlkit.grading.grading_summary)."""

import doctest
import io

from mlkit.grading import grading_summary
from mlkit.grading.class_grading import Progress
from mlkit.grading.grading_summary import Outcome, summary, with_problems


def test_the_examples_in_the_docstring_run():
    assert doctest.testmod(grading_summary).failed == 0


def test_a_clean_run_says_so_in_one_line():
    outcomes = [Outcome("01_the_layer", "ada"), Outcome("02_weights_and_state", "ada")]
    assert summary("feedback", outcomes) == "feedback: 2 submissions: 2 done, 0 with problems"
    assert all(outcome.graded for outcome in outcomes)


def test_an_outcome_travels_as_plain_data_without_its_log():
    outcome = Outcome("01_the_layer", "bob", repairs=["a note"], log="nbgrader said a lot")
    assert outcome.as_dict()["repairs"] == ["a note"]
    assert "nbgrader said" not in repr(outcome)


def test_the_progress_line_and_the_summary_count_the_same_problems():
    outcomes = [Outcome("01_the_layer", "ada"), Outcome("01_the_layer", "bob", problems=["no notebook"]),
                Outcome("01_the_layer", "cyd", unchanged=True),
                Outcome("01_the_layer", "dan", repairs=["a note"], problems=["a timeout", "a crash"])]
    assert with_problems(outcomes) == [outcomes[1], outcomes[3]]
    printed = io.StringIO()
    progress = Progress(len(outcomes), stream=printed)
    for outcome in outcomes:
        progress.update(outcome)
    assert "4/4 students, 2 problems" in printed.getvalue()
    assert summary("autograde", outcomes).split("\n")[0].endswith(", 2 with problems")
