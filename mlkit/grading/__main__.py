"""`python -m mlkit.grading COMMAND`: the instructor's commands, run from the course root.

    release [ASSIGNMENT ...]     solutions/ -> course/ (student notebooks, committed)
    check-release                fail if course/ differs from a fresh release
    autograde [ASSIGNMENT ...]   submitted/ -> autograded/ and the gradebook, many students at once
              [--workers N]      N notebooks at a time (default: one per core; 1 = one after another)
              [--scheduler URL]  on a Dask cluster's workers (or $MLKIT_GRADING_SCHEDULER)
              [--force]          grade again the submissions already graded and unchanged
    feedback [ASSIGNMENT ...]    autograded/ -> feedback/ (HTML, no hidden tests)
    grades [--to grades.csv]     gradebook -> grades.csv and grades_by_test.csv
"""

import argparse
import sys
import warnings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlkit.grading", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--root", default=".", help="the course root (holds nbgrader_config.py)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("release", "autograde", "feedback"):
        command = commands.add_parser(name)
        command.add_argument("assignments", nargs="*", help="default: every folder of solutions/")
    autograde = commands.choices["autograde"]
    autograde.add_argument("--workers", type=int, default=None, help="notebooks graded at once (default: cores)")
    autograde.add_argument("--scheduler", default=None, help="a Dask scheduler, e.g. tcp://127.0.0.1:8786")
    autograde.add_argument("--force", action="store_true", help="grade unchanged submissions again")
    commands.add_parser("check-release")
    grades = commands.add_parser("grades")
    grades.add_argument("--to", default="grades.csv")
    grades.add_argument("--by-test", default="grades_by_test.csv")
    arguments = parser.parse_args(argv)

    # SQLAlchemy warns "not in session" on every gradebook write: nbgrader's noise.
    warnings.filterwarnings("ignore", message=".*not in session")
    from mlkit.grading import instructor  # imports nbgrader: only now

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
        elif arguments.command == "autograde":
            from mlkit.grading import class_grading

            report = class_grading.grade_class(
                arguments.root, arguments.assignments or None, workers=arguments.workers,
                scheduler=arguments.scheduler, force=arguments.force)
            if not report.results:
                print("nothing to grade: put submissions in submitted/<student>/<assignment>/")
                return 0
            print(report.summary())
            return 0 if report.ok else (130 if report.interrupted else 1)
        elif arguments.command == "feedback":
            for name in instructor.feedback(arguments.root, arguments.assignments or None):
                print(f"feedback for {name} written to feedback/<student>/{name}/")
        elif arguments.command == "grades":
            paths = instructor.export_grades(arguments.root, arguments.to, arguments.by_test)
            print("grades written to " + " and ".join(str(p) for p in paths))
    except instructor.GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
