"""Checks for the settings a constructor receives: numbers, counts, flags, functions.

Each check names the object and the argument, says what was expected and
what came, and returns the value, so a constructor validates in one line.
A value of the wrong kind raises `TypeError`, a number out of range
`ValueError`, as Python itself (and Keras after it) does for such mistakes.

    >>> check_number("Dropout 'dropout'", "rate", 0.5, at_least=0, at_most=1)
    0.5
    >>> check_number("Dropout 'dropout'", "rate", "0.5", at_least=0, at_most=1)
    Traceback (most recent call last):
    ...
    TypeError: Dropout 'dropout': `rate` must be a number, got rate='0.5' (of type str). Write the number without quotes: rate=0.5.
"""

import inspect
import math

import numpy as np


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _unquote_hint(argument, value):
    """'Write the number without quotes' when a string holds a number."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return f" Write the number without quotes: {argument}={value.strip()}."
    return ""


def check_number(owner, argument, value, *, at_least=None, above=None, at_most=None, below=None, hint=""):
    """`value` if it is a finite real number within the bounds given, else a clear error."""
    if not _is_number(value):
        raise TypeError(
            f"{owner}: `{argument}` must be a number, got {argument}={value!r} (of type {type(value).__name__})."
            f"{_unquote_hint(argument, value)}{' ' + hint if hint else ''}"
        )
    bounds = [
        (at_least, lambda: value >= at_least, f">= {at_least}"),
        (above, lambda: value > above, f"> {above}"),
        (at_most, lambda: value <= at_most, f"<= {at_most}"),
        (below, lambda: value < below, f"< {below}"),
    ]
    wanted = [text for bound, holds, text in bounds if bound is not None]
    if at_least is not None and at_most is not None:
        wanted = [f"between {at_least} and {at_most}"]
    if not math.isfinite(value) or any(bound is not None and not holds() for bound, holds, _ in bounds):
        raise ValueError(
            f"{owner}: `{argument}` must be a number {' and '.join(wanted)}, got {argument}={value!r}."
            f"{' ' + hint if hint else ''}"
        )
    return value


def check_integer(owner, argument, value, *, at_least=None, hint=""):
    """`value` as an int if it is a whole number >= `at_least`, else a clear error."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        whole = _is_number(value) and float(value).is_integer()
        suggestion = f" Write {argument}={int(value)}." if whole else _unquote_hint(argument, value)
        raise TypeError(
            f"{owner}: `{argument}` must be an integer, got {argument}={value!r} (of type {type(value).__name__})."
            f"{suggestion}{' ' + hint if hint else ''}"
        )
    if at_least is not None and value < at_least:
        raise ValueError(
            f"{owner}: `{argument}` must be an integer >= {at_least}, got {argument}={value!r}."
            f"{' ' + hint if hint else ''}"
        )
    return int(value)


def check_bool(owner, argument, value):
    """`value` if it is True or False, else a clear error (a string like 'no' is truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{owner}: `{argument}` must be True or False, got {argument}={value!r} "
            f"(of type {type(value).__name__})."
            " Note that any non-empty string, even 'False', counts as true in Python."
        )
    return bool(value)


def check_callable_with(owner, argument, function, arguments, call_text, example):
    """`function` if it can be called with `arguments` (positionally), else a clear TypeError.

    `call_text` shows how it will be called, e.g. "schedule(epoch, lr)";
    `example` a fitting definition, e.g. "def schedule(epoch, lr): ...".
    """
    if not callable(function):
        raise TypeError(
            f"{owner}: `{argument}` must be a function, called as {call_text}; got {function!r} "
            f"(of type {type(function).__name__})."
        )
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature to read
        return function
    try:
        signature.bind(*arguments)
    except TypeError:
        raise TypeError(
            f"{owner}: `{argument}` is called as {call_text}, but the function given is "
            f"{getattr(function, '__name__', 'function')}{signature}. Give it those parameters, "
            f"e.g. `{example}`."
        ) from None
    return function
