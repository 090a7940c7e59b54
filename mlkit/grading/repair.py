"""Repair a damaged submission before grading, and say what was repaired.

Honest students damage notebooks: they paste a test cell twice, change a
cell's `grade_id` by accident, copy their answers into a fresh notebook
(which loses every cell's nbgrader metadata), turn a test cell into
markdown, drag cells around, delete cells. nbgrader then drops the notebook
or grades it 0. `repair` instead matches the submission to the assignment's
own cells, the reference, cell by cell:

- by `grade_id` where it is intact;
- else a test or read-only cell by its content (the text the student got),
  and a solution cell by the names it defines (`class SimpleDense` ...).

Then duplicated test cells are dropped, a second copy of a solution cell is
kept as an ordinary cell (it still runs, as in the student's notebook),
test and read-only cells that are missing or edited are restored from the
source, cells out of order are put back in the released order, and every
exercise whose code is present is graded. What cannot be matched (a deleted
solution cell) costs that exercise only. Each repair is one note:

    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> reference = [ReferenceCell("ex1_answer", "code", "def f():\\n    return 1", solution=True,
    ...                            names=frozenset({"f"})),
    ...              ReferenceCell("ex1_test", "code", "assert f() == 1", grade=True, locked=True, points=1)]
    >>> test = new_code_cell("assert f() == 1", metadata={"nbgrader": {"grade_id": "ex1_test"}})
    >>> pasted = new_code_cell(test.source, metadata=test.metadata)
    >>> book = new_notebook(cells=[new_code_cell("def f():\\n    return 1"), test, pasted])
    >>> book, notes = repair(book, reference)
    >>> [cell.metadata["nbgrader"]["grade_id"] for cell in book.cells]
    ['ex1_answer', 'ex1_test']
    >>> notes
    ['test cell ex1_test appeared twice; the copy was ignored', 'solution cell ex1_answer had lost its nbgrader metadata; it was recognised by the names it defines (f)']
"""

import ast
import copy
import re
from dataclasses import dataclass, field

import nbformat

HIDDEN_TESTS = re.compile(r"^[^\n]*BEGIN HIDDEN TESTS.*?END HIDDEN TESTS[^\n]*\n?", re.S | re.M)


@dataclass(frozen=True)
class ReferenceCell:
    """A cell of the assignment as the gradebook keeps it (`source`: hidden tests included)."""

    grade_id: str
    cell_type: str
    source: str
    grade: bool = False
    solution: bool = False
    locked: bool = False
    points: float | None = None
    checksum: str | None = None
    names: frozenset = field(default_factory=frozenset)  # what a solution cell defines

    @property
    def kind(self):
        if self.solution:
            return "solution"
        return "test" if self.grade else "read-only"

    @property
    def visible_source(self):
        """The source as the student received it (hidden tests removed)."""
        return HIDDEN_TESTS.sub("", self.source)

    def metadata(self):
        info = {"grade": self.grade, "grade_id": self.grade_id, "locked": self.locked,
                "schema_version": 3, "solution": self.solution, "task": False}
        if self.grade:
            info["points"] = self.points
        if self.checksum:
            info["checksum"] = self.checksum
        return info


def repair(book, reference):
    """(repaired copy of `book`, notes): `reference` lists the assignment's cells in order."""
    book = copy.deepcopy(book)
    notes = []
    by_id = {cell.grade_id: cell for cell in reference}
    cells = list(book.cells)
    matches = _match(cells, by_id, notes)
    kept = [(cell, matches[index]) for index, cell in enumerate(cells) if matches[index] != DROP]
    for cell, grade_id in kept:
        if grade_id is None:
            cell.metadata.pop("nbgrader", None)  # an ordinary cell for nbgrader
    position = {cell.grade_id: index for index, cell in enumerate(reference)}
    order = [position[grade_id] for _, grade_id in kept if grade_id]
    if order != sorted(order):
        kept = _in_reference_order(kept, position)
        notes.append("the cells were not in the order of the released notebook; they were graded in that order")
    kept = _with_missing_cells_restored(kept, reference, notes)
    book.cells = [_restored(cell, by_id[grade_id], notes) if grade_id else cell for cell, grade_id in kept]
    return book, notes


DROP = "drop"


def _match(cells, by_id, notes):
    """The reference grade_id of each submission cell (None: an ordinary cell; DROP: a copy to drop)."""
    matches = [None] * len(cells)
    taken = set()
    for index, cell in enumerate(cells):  # first the intact grade_ids
        grade_id = _grade_id(cell)
        if grade_id not in by_id:
            continue
        if grade_id not in taken:
            taken.add(grade_id)
            matches[index] = grade_id
        elif by_id[grade_id].solution:
            notes.append(f"solution cell {grade_id} appeared twice; the copy was kept as an ordinary cell")
        else:
            matches[index] = DROP
            notes.append(f"{by_id[grade_id].kind} cell {grade_id} appeared twice; the copy was ignored")
    without_metadata = not any("nbgrader" in cell.metadata for cell in cells)
    if without_metadata:
        notes.append("no cell had nbgrader metadata (answers pasted into a new notebook?): "
                     "the cells were matched by their content and the names they define")
    for index, cell in enumerate(cells):  # then the others, by content or by the names they define
        grade_id = _grade_id(cell)
        if matches[index] is not None or grade_id in by_id:
            continue
        found = _same_content(cell, by_id.values()) or _same_names(cell, by_id.values())
        if found is None:
            if grade_id:
                notes.append(f"a cell with grade_id {grade_id!r} matches no cell of the assignment; "
                             "it was graded as an ordinary cell")
            continue
        if found.grade_id in taken:
            if found.solution:
                continue  # another copy of the student's answer: it runs as an ordinary cell
            matches[index] = DROP
            notes.append(f"{found.kind} cell {found.grade_id} appeared twice; the copy was ignored")
            continue
        taken.add(found.grade_id)
        matches[index] = found.grade_id
        if grade_id:
            notes.append(f"{found.kind} cell {found.grade_id} had its grade_id changed to {grade_id!r}; "
                         "it was recognised and graded as itself")
        elif not without_metadata and found.solution:
            notes.append(f"solution cell {found.grade_id} had lost its nbgrader metadata; it was "
                         f"recognised by the names it defines ({', '.join(sorted(found.names))})")
        elif not without_metadata:
            notes.append(f"{found.kind} cell {found.grade_id} had lost its nbgrader metadata; "
                         "it was recognised by its content")
    return matches


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _same_content(cell, reference):
    text = _normalized(cell.source)
    for candidate in reference:
        if not candidate.solution and text and text in (_normalized(candidate.visible_source),
                                                        _normalized(candidate.source)):
            return candidate
    return None


def _same_names(cell, reference):
    if cell.cell_type != "code":
        return None
    names = defined_names(cell.source)
    for candidate in reference:
        if candidate.solution and candidate.names and candidate.names <= names:
            return candidate
    return None


def defined_names(source):
    """The names a cell defines at its top level: classes, functions, assigned variables."""
    try:  # parsed, never run: this is the instructor's process
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # still recognisable by its `class`/`def` lines
        return set(re.findall(r"^(?:class|def)\s+(\w+)", source, flags=re.M))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def _normalized(source):
    return "\n".join(line.rstrip() for line in source.strip().split("\n"))


def _in_reference_order(kept, position):
    """Matched cells in the reference's order, each followed by the ordinary cells that followed it."""
    leading, blocks = [], []
    for cell, grade_id in kept:
        if grade_id:
            blocks.append([(cell, grade_id)])
        elif blocks:
            blocks[-1].append((cell, grade_id))
        else:
            leading.append((cell, grade_id))
    blocks.sort(key=lambda block: position[block[0][1]])
    return leading + [pair for block in blocks for pair in block]


def _with_missing_cells_restored(kept, reference, notes):
    """Put back missing test and read-only cells, before the next reference cell present."""
    present = {grade_id for _, grade_id in kept if grade_id}
    for index, cell in enumerate(reference):
        if cell.grade_id in present:
            continue
        if cell.solution:
            names = f" (no cell defines {', '.join(sorted(cell.names))})" if cell.names else ""
            notes.append(f"solution cell {cell.grade_id} is missing{names}; the tests of that exercise "
                         "cannot pass")
            continue
        later = {other.grade_id for other in reference[index + 1:]}
        at = next((i for i, (_, grade_id) in enumerate(kept) if grade_id in later), len(kept))
        restored = nbformat.v4.new_code_cell() if cell.cell_type == "code" else nbformat.v4.new_markdown_cell()
        kept.insert(at, (restored, cell.grade_id))
        present.add(cell.grade_id)
        notes.append(f"{cell.kind} cell {cell.grade_id} was missing; it was restored from the source")
    return kept


def _restored(cell, reference, notes):
    """`cell` with the reference's metadata, cell type and (for read-only cells) source."""
    if cell.cell_type != reference.cell_type:
        if cell.source:  # a cell the student had; an empty one was just restored
            notes.append(f"{reference.kind} cell {reference.grade_id} had been turned into "
                         f"{cell.cell_type}; it was turned back into {reference.cell_type}")
        make = nbformat.v4.new_code_cell if reference.cell_type == "code" else nbformat.v4.new_markdown_cell
        changed = make(cell.source, metadata=cell.metadata)
        if cell.get("id"):
            changed.id = cell.id
        cell = changed
    if reference.locked:
        edited = cell.source and _normalized(cell.source) not in (
            _normalized(reference.visible_source), _normalized(reference.source))
        if edited:
            notes.append(f"{reference.kind} cell {reference.grade_id} had been edited; "
                         "it was restored from the source")
        cell.source = reference.source
    cell.metadata["nbgrader"] = reference.metadata()
    return cell
