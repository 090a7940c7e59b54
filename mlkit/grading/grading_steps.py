"""The course's own steps in nbgrader's pipelines (set in nbgrader_config.py).

Each is a thin adapter from nbgrader's preprocessor interface to a plain
function of this package, so that the rule lives in one readable place:

- `RepairSubmission` (autograde, before nbgrader's own checks): matches the
  submission to the assignment's cells and repairs it (`repair.repair`);
  the notes go into the notebook's metadata, a "Grading notes" cell at its
  top, and the log, by student.
- `ScoreFromChecks` (autograde, in place of `SaveAutoGrades`): records the
  score of each test cell as `scoring.score_test_cell` decides it:
  from what its checks reported, never from stderr.
- `InertOutputs` (autograde and feedback): outputs sanitized and capped
  (`inert_outputs.inert_cell`).
- `ClearHiddenTestsOfTestCells` (feedback): hidden tests are removed from the
  instructor's read-only cells only; marker-like text in a student's own
  cell is just text.

They are instructor tools: importing this module imports nbgrader.
"""

import html
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, SaveAutoGrades
from nbgrader.utils import determine_grade, is_grade, is_locked, is_solution
from traitlets import Integer

from mlkit.grading.inert_outputs import MAX_BYTES, MAX_LINES, inert_cell
from mlkit.grading.repair import ReferenceCell, defined_names, repair
from mlkit.grading.scoring import score_test_cell

METADATA_KEY = "mlkit_grading"   # notebook metadata: {"repairs": [note, ...]}


class RepairSubmission(NbGraderPreprocessor):
    """Repair a submitted notebook against the assignment's cells before it is graded."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        reference = self.reference_cells(info["assignment"], info["notebook"], info["db_url"])
        nb, notes = repair(nb, reference)
        nb.metadata[METADATA_KEY] = {"repairs": notes}
        if notes:
            for note in notes:
                self.log.warning("%s, %s: %s", info["student"], info["notebook"], note)
            nb.cells.insert(0, grading_notes_cell(notes))
        return nb, resources

    def reference_cells(self, assignment, notebook, db_url):
        """The assignment's nbgrader cells, in the notebook's order, as the gradebook keeps them."""
        with Gradebook(db_url) as gradebook:
            source = gradebook.find_notebook(notebook, assignment)
            points = {cell.name: cell.max_score for cell in source.grade_cells}
            solutions = {cell.name for cell in source.solution_cells}
            cells = [(cell.name, cell.cell_type, cell.source, cell.locked, cell.checksum)
                     for cell in source.source_cells]
        instructor_cells = self.instructor_cells(assignment, notebook)
        order = {name: index for index, name in enumerate(instructor_cells)}
        cells.sort(key=lambda cell: order.get(cell[0], len(order)))
        return [
            ReferenceCell(name, cell_type, text, grade=name in points, solution=name in solutions,
                          locked=locked, points=points.get(name), checksum=checksum,
                          names=frozenset(defined_names(instructor_cells.get(name, text)))
                          if name in solutions else frozenset())
            for name, cell_type, text, locked, checksum in cells
        ]

    def instructor_cells(self, assignment, notebook):
        """{grade_id: source} of the instructor's notebook in solutions/ ({} when absent)."""
        coursedir = CourseDirectory(config=self.config)
        path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        if not path.exists():
            return {}
        book = nbformat.read(path, as_version=4)
        return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in book.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id")}


def grading_notes_cell(notes):
    """A Markdown cell that tells the student how their notebook was repaired."""
    lines = ["**Grading notes.** Your notebook was repaired before grading:", ""]
    lines += [f"- {html.escape(note)}" for note in notes]
    return nbformat.v4.new_markdown_cell("\n".join(lines))


def repairs_of(book):
    """The repair notes an autograded notebook carries."""
    return list(book.metadata.get(METADATA_KEY, {}).get("repairs", []))


class ScoreFromChecks(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, with each test cell scored by `score_test_cell`."""

    def _add_score(self, cell, resources):
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        if is_solution(cell):  # an answer graded by hand: nbgrader's rule
            grade.auto_score, _ = determine_grade(cell, self.log)
        else:
            grade.auto_score, _, _ = score_test_cell(cell)
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        self.gradebook.db.commit()


class InertOutputs(NbGraderPreprocessor):
    """Sanitize every output and cap each cell's text (see `inert_outputs`)."""

    max_lines = Integer(MAX_LINES, help="Lines of output kept per cell.").tag(config=True)
    max_bytes = Integer(MAX_BYTES, help="Bytes of text output kept per cell.").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        return inert_cell(cell, self.max_lines, self.max_bytes), resources


class ClearHiddenTestsOfTestCells(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, applied to the instructor's read-only cells only."""

    def preprocess_cell(self, cell, resources, index):
        if is_locked(cell) or (is_grade(cell) and not is_solution(cell)):
            return super().preprocess_cell(cell, resources, index)
        return cell, resources
