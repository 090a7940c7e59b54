"""`student_bundle`: what students get instead of the repository.

The repository holds solutions/ (every answer and hidden test), the
instructor guide (with a hidden-test example) and the tests' banks of
wrong answers. Students need none of that: the bundle holds the student
notebooks (course/), the mlkit package without the instructor's grading
tools, and what installs it. `make student-bundle` writes it as a folder
and a .tar.gz archive:

    python -m mlkit.grading.student_bundle dist/mlkit-course-student

Building it fails if any file of the bundle holds an answer or hidden test
marker, so a mistake in the release cannot leak them.
"""

import argparse
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The grading tools that run on the instructor's side only (they import nbgrader,
# or author notebooks with solutions): left out of the students' package.
INSTRUCTOR_MODULES = ("instructor.py", "resilient_execute.py", "sandbox.py", "judge.py", "integrity.py",
                      "authoring.py", "student_bundle.py", "__main__.py", "class_grading.py", "repair.py",
                      "grading_steps.py", "inert_outputs.py", "scoring.py", "grading_summary.py")
LEAK_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "### BEGIN SOLUTION", "### END SOLUTION")
STUDENT_README = """# mlkit course

The notebooks are in `course/`, one folder per assignment. To work on them:

```sh
python3 -m venv .venv && .venv/bin/pip install -e '.[course]'
.venv/bin/jupyter lab course/
```

Each exercise ends with test cells: run them to check your work. Your
instructor grades the notebooks you hand in with more tests of the same
kind.
"""


def build(destination, root=ROOT):
    """Write the bundle folder `destination` and `destination`.tar.gz; return the archive's path."""
    root, destination = Path(root), Path(destination)
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    shutil.copytree(root / "course", destination / "course", ignore=ignore)
    shutil.copytree(root / "mlkit", destination / "mlkit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *INSTRUCTOR_MODULES))
    for name in ("pyproject.toml", "environment.yml", "LICENSE"):
        if (root / name).exists():
            shutil.copy(root / name, destination / name)
    (destination / "README.md").write_text(STUDENT_README)
    leaks = leaked_files(destination)
    if leaks:
        shutil.rmtree(destination)
        raise RuntimeError("the student bundle would leak answers or hidden tests: " + ", ".join(leaks))
    archive = destination.with_name(destination.name + ".tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(destination, arcname=destination.name)
    return archive


def leaked_files(folder):
    """Files under `folder` that hold a solution or hidden-test marker."""
    leaks = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".toml", ".yml", ".json"):
            text = path.read_text(errors="replace")
            if any(marker in text for marker in LEAK_MARKERS):
                leaks.append(str(path.relative_to(folder)))
    return leaks


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlkit.grading.student_bundle", description=__doc__.split("\n")[0])
    parser.add_argument("destination", nargs="?", default="dist/mlkit-course-student")
    arguments = parser.parse_args(argv)
    try:
        archive = build(arguments.destination)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"student bundle written to {arguments.destination}/ and {archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
