"""`python -m mlkit.grading COMMAND`: the instructor's commands, run from the course root.

    release [ASSIGNMENT ...]     solutions/ -> course/ (student notebooks, committed)
    check-release                fail if course/ differs from a fresh release
    autograde [ASSIGNMENT ...]   submitted/ -> autograded/ and the gradebook: many students at
                                 once, each notebook in a sandbox (needs bubblewrap)
              [--workers N]      N notebooks at a time (default: one per core; 1 = one after another)
              [--scheduler URL]  on a Dask cluster's workers (or $MLKIT_GRADING_SCHEDULER)
              [--force]          grade again the submissions already graded and unchanged
              [--unsafe]         without the sandbox (only if you trust every student)
    feedback [ASSIGNMENT ...]    autograded/ -> feedback/ (HTML, no hidden tests)
    grades [--to grades.csv]     gradebook -> grades.csv and grades_by_test.csv
    check-held-out               grade the solutions on the course's private held-out digits
                                 (.nbgrader/held_out_digits.npz): they must pass there first
    progress [--course course]   a learner's view: the visible checks of each notebook worked on

autograde and feedback handle each submission on its own, end with a summary
(done, repaired, problems) and exit with status 1 when a submission could not
be handled.
"""

import argparse
import sys
import warnings
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlkit.grading", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--root", default=".", help="the course root (holds nbgrader_config.py)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("release", "autograde", "feedback"):
        command = commands.add_parser(name)
        command.add_argument("assignments", nargs="*", help="default: every folder of solutions/")
    commands.choices["autograde"].add_argument(
        "--unsafe", action="store_true",
        help="run submissions without the bubblewrap sandbox (only if you trust every student)")
    commands.choices["autograde"].add_argument(
        "--workers", type=int, default=None, help="notebooks graded at once (default: one per core)")
    commands.choices["autograde"].add_argument(
        "--scheduler", default=None, help="a Dask scheduler, e.g. tcp://127.0.0.1:8786")
    commands.choices["autograde"].add_argument(
        "--force", action="store_true", help="grade again the submissions already graded and unchanged")
    commands.add_parser("check-release")
    commands.add_parser("check-held-out")
    grades = commands.add_parser("grades")
    grades.add_argument("--to", default="grades.csv")
    grades.add_argument("--by-test", default="grades_by_test.csv")
    progress = commands.add_parser("progress")
    progress.add_argument("--course", help="the learner's notebooks (default: course/ under --root)")
    progress.add_argument("--json", action="store_true", help="print the rows as JSON")
    arguments = parser.parse_args(argv)

    if arguments.command == "progress":
        from mlkit.grading import progress as progress_view

        course = arguments.course or str(Path(arguments.root) / "course")
        try:
            print(progress_view.main(course, as_json=arguments.json, log=lambda line: print(line, file=sys.stderr)))
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0

    # SQLAlchemy warns "not in session" on every gradebook write: nbgrader's noise.
    warnings.filterwarnings("ignore", message=".*not in session")
    from mlkit.grading import instructor  # imports nbgrader: only now
    from mlkit.grading.grading_summary import with_problems

    try:
        if arguments.command == "release":
            for name in instructor.release(arguments.root, arguments.assignments or None):
                print(f"released course/{name}")
        elif arguments.command == "check-release":
            problems = instructor.release_differences(arguments.root)
            if problems:
                print("course/ is stale; run `make release` (python -m mlkit.grading release):")
                print("\n".join(f"  {p}" for p in problems))
                return 1
            print("course/ matches solutions/")
        elif arguments.command == "check-held-out":
            failed = instructor.check_held_out(arguments.root)
            for (path, grade_id), message in failed.items():
                print(f"\n{path}, {grade_id}:\n{message}")
            return 1 if failed else 0
        elif arguments.command == "autograde":
            outcomes = list(instructor.autograde(
                arguments.root, arguments.assignments or None, unsafe=arguments.unsafe,
                workers=arguments.workers, scheduler=arguments.scheduler, force=arguments.force).values())
            if not outcomes:
                print("nothing to grade: put submissions in submitted/<student>/<assignment>/")
            return 1 if with_problems(outcomes) else 0
        elif arguments.command == "feedback":
            outcomes = instructor.feedback(arguments.root, arguments.assignments or None)
            if not outcomes:
                print("no feedback to write: nothing is autograded yet")
            return 1 if with_problems(outcomes) else 0
        elif arguments.command == "grades":
            paths = instructor.export_grades(arguments.root, arguments.to, arguments.by_test)
            print("grades written to " + " and ".join(str(p) for p in paths))
    except instructor.GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: every submission graded so far is recorded; run the command again for the rest",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
