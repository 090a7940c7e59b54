"""`GradingFailure`: a failed check, told in the learner's words.

A test cell that fails should say what was checked, what was expected, what
came instead and the likely mistake, and show nothing of the (possibly
hidden) test code. IPython prints an exception through its
`_render_traceback_()` method when the class has one, so a `GradingFailure`
appears in a notebook as its message alone, without a traceback.

    >>> failure = GradingFailure(
    ...     "the output shape of SimpleDense(4) on inputs of shape (2, 3)",
    ...     expected=(2, 4), got=(4, 2),
    ...     hint="the kernel is transposed: its shape is (input_shape[-1], units)",
    ...     title="SimpleDense computes a batch of outputs")
    >>> print(failure)
    ✗ SimpleDense computes a batch of outputs
      Checked:  the output shape of SimpleDense(4) on inputs of shape (2, 3)
      Expected: (2, 4)
      Got:      (4, 2)
      Likely mistake: the kernel is transposed: its shape is (input_shape[-1], units)
"""

from mlkit.grading.formatting import describe, indent_after_first

# Marks an argument that was not given (None is a value a check may expect).
MISSING = object()

_RED_BOLD = "\x1b[1;31m"
_RESET = "\x1b[0m"


class GradingFailure(AssertionError):
    """A check that failed, with an authored explanation (never test code).

    `checked` says what was looked at; `expected` and `got` are values (or
    sentences) shown side by side; `hint` names the likely mistake; `where`
    points into the learner's own code; `title` is the exercise's name,
    filled in by `grading.exercise` when the check runs inside one.
    """

    def __init__(self, checked=None, *, expected=MISSING, got=MISSING, hint=None, where=None,
                 problem=None, title=None):
        self.checked = checked
        self.expected = expected
        self.got = got
        self.hint = hint
        self.where = where
        self.problem = problem
        self.title = title
        super().__init__(checked)

    def lines(self):
        """The explanation, one string per line, without colours."""
        lines = [f"✗ {self.title}"] if self.title else []
        if self.problem:
            lines += _labelled("", self.problem)
        if self.checked:
            lines += _labelled("Checked:  ", self.checked)
        expected, got = describe(self.expected), describe(self.got)
        if expected == got and self.expected is not MISSING and self.got is not MISSING:
            expected, got = repr(self.expected), repr(self.got)  # e.g. 0.3 and 0.30000000000000004
        if self.expected is not MISSING:
            lines += _labelled("Expected: ", expected)
        if self.got is not MISSING:
            lines += _labelled("Got:      ", got)
        if self.where:
            lines += _labelled("Where:    ", self.where)
        if self.hint:
            lines += _labelled("Likely mistake: ", self.hint)
        return lines

    def __str__(self):
        return "\n".join(self.lines())

    def _render_traceback_(self):
        """What IPython shows instead of a traceback: the explanation alone."""
        lines = self.lines()
        if self.title:
            lines[0] = f"{_RED_BOLD}{lines[0]}{_RESET}"
        return lines


class UnfinishedExercise(GradingFailure):
    """The learner's code still raises the stub's `NotImplementedError`.

    Kept apart from other failures so that the course's own tests can tell
    a student notebook that stops at its stubs (expected) from one that
    breaks for another reason (a bug in the notebook).
    """

    def __init__(self, function, *, title=None):
        super().__init__(
            problem=(
                f"Not done yet: {function} still raises NotImplementedError.\n"
                "Replace `raise NotImplementedError()` with your code, run that cell, "
                "then run this test cell again."
            ),
            title=title,
        )
        self.function = function


def _labelled(label, text):
    """`label` then `text`, continuation lines aligned under the text, indented by two."""
    text = indent_after_first(str(text), " " * (2 + len(label)))
    return [f"  {label}{text}".rstrip()]
