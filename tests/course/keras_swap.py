"""Run a notebook's learner cells on real Keras, with `mlkit` swapped for `keras`.

The course promises that what a learner writes runs on Keras 3 by changing
the import. This script checks it: every code cell of an instructor notebook
except the graded test cells runs, in order, in one IPython shell with
KERAS_BACKEND=torch, after the swap. The course's own material has no Keras
counterpart and stays mlkit's: the bundled data (`mlkit.datasets`) and the
checks (`mlkit.grading`).

    python tests/course/keras_swap.py solutions/01_the_layer/the_layer.ipynb

prints one JSON line per cell: its index, whether it is an exercise (a
solution cell), whether it is marked `# mlkit extension`, and the error it
raised (null when it ran). Used by test_notebooks_on_keras.py (dev-only).
"""

import json
import os
import re
import sys

COURSE_ONLY = ("datasets", "grading")  # stays mlkit: course material, not the Keras API
EXTENSION_MARK = "# mlkit extension"


def learner_cells(notebook):
    """(index, source, is_exercise) of every code cell but the graded test cells."""
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("grade") and not grading.get("solution"):
            continue
        yield index, "".join(cell["source"]), bool(grading.get("solution"))


def swap_imports(source):
    """`mlkit` becomes `keras`, except the course's own modules (see COURSE_ONLY)."""
    lines = []
    for line in source.splitlines():
        imported = re.match(r"^(\s*)from mlkit import (.+)$", line)
        if imported:
            indent, names = imported.group(1), [n.strip() for n in imported.group(2).split("#")[0].split(",")]
            course = [n for n in names if n.split(" as ")[0] in COURSE_ONLY]
            keras_names = [n for n in names if n not in course]
            if course:
                lines.append(f"{indent}from mlkit import {', '.join(course)}")
            if keras_names:
                lines.append(f"{indent}from keras import {', '.join(keras_names)}")
            continue
        if re.match(r"^\s*import mlkit\s*$", line):
            lines.append(line.replace("import mlkit", "import keras, mlkit"))
            continue
        lines.append(re.sub(r"\bmlkit\b(?!\.(?:datasets|grading)\b)", "keras", line))
    return "\n".join(lines)


def run(path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # small models: threads only contend
    from IPython.core.interactiveshell import InteractiveShell

    with open(path) as file:
        notebook = json.load(file)
    os.chdir(os.path.dirname(os.path.abspath(path)))
    shell = InteractiveShell.instance()
    for index, source, is_exercise in learner_cells(notebook):
        result = shell.run_cell(swap_imports(source), silent=True)
        error = result.error_in_exec or result.error_before_exec
        print(json.dumps({
            "index": index,
            "exercise": is_exercise,
            "extension": source.lstrip().startswith(EXTENSION_MARK),
            "first_line": source.strip().splitlines()[0] if source.strip() else "",
            "error": None if error is None else f"{type(error).__name__}: {str(error)[:300]}",
        }), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    run(sys.argv[1])
