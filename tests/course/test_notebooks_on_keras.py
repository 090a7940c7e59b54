"""Dev-only: every notebook's learner cells run on Keras 3 with the import swapped.

Skipped unless Keras and torch are installed (`pip install torch==2.13.0
keras`): `make test` needs neither. Each instructor notebook runs in a fresh
process through keras_swap.py (graded test cells left out; see there for the
swap). A cell may fail on Keras only if it says, in its first line, that it
shows an mlkit extension; and the course keeps such cells few.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
RUNNER = Path(__file__).with_name("keras_swap.py")
MOST_EXTENSION_CELLS = 12

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None or importlib.util.find_spec("torch") is None,
    reason="dev-only: needs keras and torch (pip install torch==2.13.0 keras)",
)


def run_on_keras(notebook):
    """The runner's record of each learner cell of `notebook` (see keras_swap.py)."""
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(notebook)], capture_output=True, text=True, timeout=1800,
        env={"KERAS_BACKEND": "torch", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
             "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
    )
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"index"')]
    assert records, f"{notebook.name}: the runner reported nothing.\n{done.stderr[-2000:]}"
    return records


class Results(dict):
    """Each notebook's records, run on first request (so `-k 01_the_layer` runs one notebook)."""

    def __missing__(self, name):
        self[name] = run_on_keras(next(n for n in NOTEBOOKS if n.parent.name == name))
        return self[name]


@pytest.fixture(scope="module")
def results():
    return Results()


@pytest.mark.parametrize("notebook", [n.parent.name for n in NOTEBOOKS])
def test_learner_cells_run_on_keras_unless_marked_as_mlkit_extensions(results, notebook):
    failures = [
        f"cell {r['index']} ({r['first_line'][:60]!r}): {r['error']}"
        for r in results[notebook] if r["error"] and not r["extension"]
    ]
    assert not failures, "\n".join(failures)


def test_every_exercise_runs_on_keras_and_extension_cells_are_few(results):
    records = [r for notebook in NOTEBOOKS for r in results[notebook.parent.name]]
    exercises = [r for r in records if r["exercise"]]
    assert exercises and all(r["error"] is None for r in exercises)
    extensions = [r for r in records if r["extension"]]
    assert len(extensions) <= MOST_EXTENSION_CELLS
    ran = sum(r["error"] is None for r in records)
    print(f"\n{ran} of {len(records)} learner cells and {len(exercises)} of {len(exercises)} exercises "
          f"run on Keras; {len(extensions)} cells are marked mlkit extensions.")
