"""nbgrader's settings for this course. nbgrader reads this file from the
current folder only: run every nbgrader command from the repository root
(or use `make release|autograde|feedback|grades`, see docs/instructor_guide.md).

    solutions/<assignment>/<notebook>.ipynb   instructor notebooks (source)
    course/<assignment>/<notebook>.ipynb      student notebooks (release, committed)
    submitted/<student>/<assignment>/         what students hand in      (git-ignored)
    autograded/<student>/<assignment>/        executed and scored copies (git-ignored)
    feedback/<student>/<assignment>/          HTML feedback              (git-ignored)
    .nbgrader/gradebook.db                    the gradebook              (git-ignored)
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
    OverwriteCells, OverwriteKernelspec,
)

from mlkit.grading.grading_steps import (
    ClearHiddenTestsOfTestCells, InertOutputs, RepairSubmission, ScoreFromChecks,
)
from mlkit.grading.sandbox import SandboxedExecute

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))
GRADEBOOK_DIR = os.path.join(ROOT, ".nbgrader")
# nbgrader does not create the gradebook's folder (a missing one gives a
# misleading "run nbgrader db upgrade" error), so make sure it exists.
os.makedirs(GRADEBOOK_DIR, exist_ok=True)

c.CourseDirectory.course_id = "mlkit-course"
c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(GRADEBOOK_DIR, "gradebook.db")

# Generating the student version: the stub that replaces each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding. Each cell may run for 60 s: the exercises take a second or
# two, so only an endless loop gets near it (the checks in mlkit.grading stop
# their own block after 30 s and say where the code was stuck; a cell that
# times out gets an explanation from ResilientExecute, below).
c.Execute.timeout = 60
# Test cells a student deleted are put back (they would score 0 and wait for
# a manual grade otherwise); edited ones are always restored from the gradebook.
c.OverwriteCells.add_missing_cells = True
# Before nbgrader's own checks, RepairSubmission matches the submission to the
# assignment's cells (duplicated test cells dropped, renamed or metadata-less
# cells recognised, missing or edited test cells restored, cells put back in
# order) and records each repair: a damaged notebook is repaired, never dropped.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    RepairSubmission,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
# As nbgrader's default list, with three changes:
# - SandboxedExecute replaces Execute: each kernel is confined by bubblewrap
#   (mlkit/grading/sandbox.py: student code never runs in the open), each test
#   cell is judged in this process from the plain data its checks sent
#   (mlkit/grading/judge.py), and, as ResilientExecute, when a student's code
#   kills the kernel (os._exit, a crash, memory exhaustion), that cell gets 0
#   with the reason and grading goes on in a fresh kernel;
# - InertOutputs replaces LimitOutput: outputs sanitized (no script reaches the
#   formgrader or feedback) and capped in lines and in bytes;
# - ScoreFromChecks replaces SaveAutoGrades: a test cell scores from what its
#   checks reported; warnings and stderr are notes, not failures.
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    InertOutputs,
    ScoreFromChecks,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Feedback never shows hidden tests: ClearHiddenTestsOfTestCells removes them
# from the test cells' source (and mlkit.grading's messages never show test
# code); text like "BEGIN HIDDEN TESTS" in a student's own cell is left alone.
# InertOutputs again, for notebooks autograded before it was in place.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsOfTestCells, InertOutputs, CSSHTMLHeaderPreprocessor]
