"""What happened to each submission, and the summary an instructor reads at the end.

Grading a class is one call per submission; each returns an `Outcome`
(plain data: it can travel from a worker to the instructor's process).
The summary is built from the outcomes alone:

    >>> outcomes = [Outcome("01_the_layer", "ada"),
    ...             Outcome("01_the_layer", "bob", repairs=["test cell ex1_test appeared twice; the copy was ignored"]),
    ...             Outcome("01_the_layer", "cyd", problems=["the_layer.ipynb is not in the submission"])]
    >>> print(summary("autograde", outcomes))
    autograde: 3 submissions: 2 graded (1 repaired), 1 with problems
    repaired:
      01_the_layer bob: test cell ex1_test appeared twice; the copy was ignored
    problems:
      01_the_layer cyd: the_layer.ipynb is not in the submission
"""

from dataclasses import asdict, dataclass, field


@dataclass
class Outcome:
    """One submission (an assignment of one student): what was repaired, what went wrong."""

    assignment: str
    student: str
    repairs: list = field(default_factory=list)    # notes, each "what was repaired"
    problems: list = field(default_factory=list)   # reasons the submission was not (fully) graded
    incidents: list = field(default_factory=list)  # what its code tried against the sandbox
    unchanged: bool = False                         # graded before and unchanged since: not graded again
    log: str = field(default="", repr=False)       # nbgrader's log of this submission

    @property
    def graded(self):
        return not self.problems

    def as_dict(self):
        return asdict(self)


def with_problems(outcomes):
    """The outcomes of the submissions that were not (fully) graded: what the summary and the
    progress line of a grading run count as problems."""
    return [outcome for outcome in outcomes if not outcome.graded]


def summary(step, outcomes):
    """Lines telling the instructor what `step` ("autograde", "feedback") did to each submission."""
    unchanged = [outcome for outcome in outcomes if outcome.unchanged]
    graded = [outcome for outcome in outcomes if outcome.graded and not outcome.unchanged]
    repaired = [outcome for outcome in outcomes if outcome.repairs]
    failed = with_problems(outcomes)
    done = "graded" if step == "autograde" else "done"
    head = f"{step}: {len(outcomes)} submissions: {len(graded)} {done}"
    if step == "autograde":
        head += f" ({len(repaired)} repaired)"
    if unchanged:
        head += f", {len(unchanged)} unchanged since they were graded (not graded again)"
    lines = [head + f", {len(failed)} with problems"]
    pushed = [outcome for outcome in outcomes if outcome.incidents]
    for title, chosen, notes in (("repaired", repaired, "repairs"), ("problems", failed, "problems"),
                                 ("pushed against the sandbox", pushed, "incidents")):
        if chosen:
            lines.append(f"{title}:")
            lines += [f"  {outcome.assignment} {outcome.student}: {note}"
                      for outcome in chosen for note in getattr(outcome, notes)]
    return "\n".join(lines)
