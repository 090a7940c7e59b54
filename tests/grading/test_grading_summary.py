"""The summary of a grading step (mlkit.grading.grading_summary)."""

import doctest

from mlkit.grading import grading_summary
from mlkit.grading.grading_summary import Outcome, summary


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
