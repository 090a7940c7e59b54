"""The shared checks for constructor settings: what they accept, and what they say."""

import numpy as np
import pytest

from mlkit.utils.arguments import check_bool, check_callable_with, check_integer, check_number


def test_check_number_accepts_numbers_in_range_and_returns_them():
    assert check_number("Owner", "rate", 0.5, at_least=0, at_most=1) == 0.5
    assert check_number("Owner", "rate", np.float32(0.25), above=0) == np.float32(0.25)
    assert check_integer("Owner", "patience", np.int64(3), at_least=0) == 3
    assert check_bool("Owner", "use_bias", np.bool_(False)) is False


CASES = {
    "a number in quotes": (lambda: check_number("Dropout 'd'", "rate", "0.5"), TypeError,
                           ["Dropout 'd': `rate` must be a number, got rate='0.5'", "without quotes: rate=0.5"]),
    "a boolean for a number": (lambda: check_number("Owner", "stddev", True), TypeError, ["got stddev=True"]),
    "out of range": (lambda: check_number("Owner", "rate", 1.5, at_least=0, at_most=1), ValueError,
                     ["`rate` must be a number between 0 and 1, got rate=1.5"]),
    "not finite": (lambda: check_number("Owner", "scale", float("nan"), above=0), ValueError, ["> 0, got scale=nan"]),
    "a float for an integer": (lambda: check_integer("fit()", "epochs", 3.0), TypeError,
                               ["`epochs` must be an integer, got epochs=3.0", "Write epochs=3."]),
    "a negative integer": (lambda: check_integer("Owner", "patience", -1, at_least=0), ValueError,
                           ["`patience` must be an integer >= 0, got patience=-1"]),
    "a string for a flag": (lambda: check_bool("Loss", "from_logits", "False"), TypeError,
                            ["`from_logits` must be True or False", "even 'False', counts as true"]),
    "not a function": (lambda: check_callable_with("Owner", "hook", 3, (0,), "hook(epoch)", "def hook(epoch): ..."),
                       TypeError, ["`hook` must be a function, called as hook(epoch); got 3"]),
    "a function of the wrong arity": (
        lambda: check_callable_with("Owner", "hook", lambda: None, (0, {}), "hook(epoch, logs)", "hook=lambda epoch, logs: ..."),
        TypeError, ["`hook` is called as hook(epoch, logs), but the function given is <lambda>()", "hook=lambda epoch, logs: ..."]),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_settings_are_named_with_what_was_expected(case):
    action, error_type, parts = CASES[case]
    with pytest.raises(error_type) as caught:
        action()
    for part in parts:
        assert part in str(caught.value)


def test_a_builtin_without_a_signature_is_accepted():
    assert check_callable_with("Owner", "hook", max, (0, 1), "hook(a, b)", "...") is max
