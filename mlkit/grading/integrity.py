"""`integrity`: after grading, what the instructor can check was not tampered with.

The sandbox keeps submissions away from the gradebook and the course, so
these checks should find nothing; they are the second lock on the door:

- the gradebook holds only nbgrader's own tables (no foreign table,
  trigger or view), and no student who was not graded or known before;
- the test cells the gradebook stores (from which nbgrader restores a
  student's edited test cells) are those of solutions/;
- each graded notebook shows what a submission tried: a kernel that died or
  hung, a limit hit, a write refused, results that did not fit their checks.

    before = gradebook_snapshot(".nbgrader/gradebook.db")
    ... autograde ...
    gradebook_problems(".nbgrader/gradebook.db", before, graded={"alice", "bob"}, root=".")
    incidents(nbformat.read("autograded/alice/01_the_layer/the_layer.ipynb", as_version=4))
"""

import re
import sqlite3
from pathlib import Path, PurePosixPath

import nbformat

# Signs, in a graded notebook, that the submission pushed against the sandbox.
_SIGNS = {
    "DeadKernelError": "the kernel died (killed, crashed or out of memory)",
    "KernelDiedTooOften": "the kernel died again and again",
    "CellTimeoutError": "a cell ran past its time limit",
    "TimeLimitExceeded": "a check ran past its time limit",
    "Read-only file system": "a write outside its scratch folder was refused",
    "Permission denied": "an access was refused",
    "Resource temporarily unavailable": "the process limit was hit",
    "MemoryError": "the memory limit was hit",
    "File too large": "the file size limit was hit",
    "do not fit it": "its results did not fit the checks (tampered test code or records)",
    "Network is unreachable": "a network connection was refused",
    "more output than allowed": "it flooded the output",
    "processes the notebook started were still running": "it left processes running (killed with the sandbox)",
    "unable to open database file": "it tried to open a database outside its folder",
    "ended differently from the grader's judgment": "its kernel's own run of the tests disagreed with the "
                                                    "grader (grading code, NumPy, builtins or IPython tampered with?)",
    "had replaced parts of the grading tools": "it replaced parts of the grading tools or libraries in its kernel",
    "values that are not plain data": "it handed back objects that are not plain data",
    "Operation not permitted": "a signal or privileged operation was refused",
    "No such process": "it sent a signal to processes out of its reach",
    "handed in beside the notebook are left out": "it handed in importable files, left out of the sandbox",
}


def _connect(path):
    return sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)


def _nbgrader_tables():
    from nbgrader.api import Base

    return set(Base.metadata.tables) | {"alembic_version"}


def gradebook_snapshot(path):
    """What the gradebook holds before grading: its schema objects and its students."""
    if not Path(path).exists():
        return {"objects": set(), "students": set()}
    with _connect(path) as connection:
        objects = {(kind, name) for kind, name in connection.execute("SELECT type, name FROM sqlite_master")}
        students = {row[0] for row in connection.execute("SELECT id FROM student")} if ("table", "student") in objects else set()
    return {"objects": objects, "students": students}


def gradebook_problems(path, before, graded, root, assignments=None):
    """What is wrong with the gradebook after grading (an empty list when all is well).

    `before` is the snapshot taken before grading; `graded` the ids of the
    students graded in between; `root` the course root (for solutions/).
    """
    problems = []
    after = gradebook_snapshot(path)
    expected_tables = _nbgrader_tables()
    for kind, name in sorted(after["objects"]):
        if kind == "table" and name not in expected_tables:
            problems.append(f"the gradebook has a foreign table {name!r}")
        elif kind in ("trigger", "view"):
            problems.append(f"the gradebook has a foreign {kind} {name!r}")
        elif kind == "index" and not name.startswith("sqlite_autoindex_") and (kind, name) not in before["objects"]:
            problems.append(f"the gradebook has a foreign index {name!r}")
    strangers = after["students"] - before["students"] - set(graded)
    if strangers:
        problems.append(f"the gradebook has students nobody graded: {', '.join(sorted(strangers))}")
    problems += source_cell_differences(path, root, assignments)
    return problems


def source_cell_differences(path, root, assignments=None):
    """Test cells whose copy in the gradebook differs from solutions/."""
    if not Path(path).exists():
        return []
    query = ("SELECT source_cell.name, source_cell.source FROM source_cell "
             "JOIN notebook ON source_cell.notebook_id = notebook.id "
             "JOIN assignment ON notebook.assignment_id = assignment.id "
             "WHERE assignment.name = ? AND notebook.name = ?")
    problems = []
    solutions = Path(root) / "solutions"
    with _connect(path) as connection:
        for folder in sorted(solutions.iterdir()) if solutions.exists() else []:
            if assignments and folder.name not in assignments:
                continue
            for notebook_path in sorted(folder.glob("*.ipynb")):
                stored = dict(connection.execute(query, (folder.name, notebook_path.stem)).fetchall())
                if not stored:
                    continue
                for cell in nbformat.read(notebook_path, as_version=4).cells:
                    info = cell.metadata.get("nbgrader", {})
                    if not info.get("grade") or info.get("solution"):
                        continue
                    grade_id = info.get("grade_id")
                    if grade_id in stored and stored[grade_id] != cell.source:
                        problems.append(f"the gradebook's test cell {grade_id} of {folder.name}/{notebook_path.name} "
                                        "differs from solutions/")
    return problems


# A path of the course looked for from inside the sandbox (where it does not exist).
_COURSE_PATH = re.compile(r"No such file or directory: '[^']*(\.\./|solutions|submitted|autograded|feedback|\.nbgrader)")


def files_handed_in(folder):
    """The files handed in beside the notebooks of a submission `folder` (relative paths, sorted):
    everything but the notebooks and Jupyter's checkpoints."""
    folder = Path(folder)
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts)


def importable(paths):
    """Those of `paths` (relative to the notebook's folder) that Python would import from there:
    a module, a package's `__init__.py`, a `.pth` or a compiled extension."""
    found = []
    for path in map(PurePosixPath, paths):
        if (len(path.parts) == 1 and path.suffix in (".py", ".pth", ".so")) or (
                len(path.parts) == 2 and path.name == "__init__.py"):
            found.append(str(path))
    return sorted(found)


def incidents(notebook):
    """What a graded notebook shows the submission tried (distinct descriptions, in order)."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = " ".join([str(output.get("ename", "")), str(output.get("evalue", "")),
                             "".join(output.get("text", "")) if output.get("output_type") == "stream" else "",
                             " ".join(output.get("traceback", []))])
            for sign, description in _SIGNS.items():
                if sign in text and description not in found:
                    found.append(description)
            looked_for = "it looked for the course's folders"
            if _COURSE_PATH.search(text) and looked_for not in found:
                found.append(looked_for)
    return found


def incidents_of_submission(folder):
    """`incidents` of every graded notebook in `folder` (autograded/<student>/<assignment>);
    files handed in to be imported are noted in the notebook by the execute step."""
    found = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        for description in incidents(nbformat.read(path, as_version=4)):
            if description not in found:
                found.append(description)
    return found
