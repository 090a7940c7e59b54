"""The course's tests: every notebook executed, and nbgrader's pipeline in a temp folder.

Notebooks. The notebooks listed in course_notebooks.txt are collected by
`pytest_collect_file` below and executed by nbval, one test item per code
cell, in lax mode (outputs are not compared) and in the current Python
environment, so plain `pytest` (the README's `make test`) runs them without
extra options. Instructor notebooks (solutions/) must run without error. A
student notebook (course/) stops at its stubs: a cell whose only errors are
`NotImplementedError` (or the grading message saying the exercise is not
done yet) is an expected failure; any other error (NameError, ImportError,
a failing check) fails the test.

Pipeline. `course_folder` makes a copy of the course (nbgrader_config.py,
solutions/, course/) in a temp folder, with helpers to submit notebooks
as students, autograde, and read the gradebook, as an instructor would.
"""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, RunningKernel
from nbval.plugin import IPyNbCell, IPyNbFile, NbCellError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_LIST = Path(__file__).with_name("course_notebooks.txt")
STUB_ERRORS = {"NotImplementedError", "UnfinishedExercise"}


# -- every notebook, executed ------------------------------------------------

def pytest_collect_file(file_path, parent):
    if file_path == NOTEBOOK_LIST:
        return CourseNotebooks.from_parent(parent, path=file_path)
    return None


def listed_notebooks():
    patterns = [line.strip() for line in NOTEBOOK_LIST.read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    return [path for pattern in patterns for path in sorted(ROOT.glob(pattern))]


class CourseNotebooks(pytest.File):
    """Collects the notebooks listed in course_notebooks.txt."""

    def collect(self):
        for path in listed_notebooks():
            yield CourseNotebook.from_parent(self, path=path)


class CourseNotebook(IPyNbFile):
    """An nbval notebook, run in lax mode in this Python environment."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.compare_outputs = False  # lax: only errors fail
        self.is_release = (ROOT / "course") in self.path.parents

    def setup(self):
        self.kernel = RunningKernel(
            CURRENT_ENV_KERNEL_NAME, cwd=str(self.path.parent),
            startup_timeout=self.config.option.nbval_kernel_startup_timeout,
        )

    def collect(self):
        for cell in super().collect():
            yield CourseCell.from_parent(self, name=cell.name, cell_num=cell.cell_num,
                                         cell=cell.cell, options=cell.options)


class CourseCell(IPyNbCell):
    def runtest(self):
        try:
            super().runtest()
        except NbCellError:
            errors = [out for out in self.test_outputs or [] if out.get("output_type") == "error"]
            if self.parent.is_release and errors and all(e["ename"] in STUB_ERRORS for e in errors):
                pytest.xfail("stops at an exercise stub, as a student notebook should")
            raise


# -- a course in a temp folder ---------------------------------------------

class CourseFolder:
    """A copy of the course that tests grade as an instructor would."""

    def __init__(self, root, **config_overrides):
        from mlkit.grading import instructor

        self.instructor = instructor
        self.root = Path(root)
        self.config = instructor.load_config(self.root, **config_overrides)

    def release(self, names=None):
        """Generate course/ and record the assignments in this course's gradebook."""
        return self.instructor.release(self.root, names, config=self.config, throwaway_gradebook=False)

    def student_notebook(self, assignment, notebook):
        """The released (student) version of a notebook, as a fresh student gets it."""
        return nbformat.read(self.root / "course" / assignment / notebook, as_version=4)

    def source_notebook(self, assignment, notebook):
        return nbformat.read(self.root / "solutions" / assignment / notebook, as_version=4)

    def solved_notebook(self, assignment, notebook, exercises=None):
        """The student notebook with the instructor's solutions filled in (all exercises, or
        only those whose grade_id starts with one of `exercises`, e.g. ["ex1_"])."""
        from mlkit.grading.authoring import solved

        return solved(self.student_notebook(assignment, notebook), self.source_notebook(assignment, notebook),
                      exercises)

    def submit(self, student, assignment, notebook, book):
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, folder / notebook)

    def autograde(self, names=None, students=None, **options):
        """{(assignment, student): Outcome}; `options` go to instructor.autograde (workers, scheduler, force...)."""
        return self.instructor.autograde(self.root, names, students, config=self.config, log=None, record=False,
                                         **options)

    def feedback(self, names=None):
        self.instructor.feedback(self.root, names, config=self.config)

    def scores(self, student, assignment, notebook):
        """{grade_id: (score, max_score)} of a student's notebook, from the gradebook."""
        from nbgrader.api import Gradebook
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
            submission = gradebook.find_submission_notebook(Path(notebook).stem, assignment, student)
            return {grade.name: (grade.score, grade.max_score) for grade in submission.grades}

    def autograded(self, student, assignment, notebook):
        return nbformat.read(self.root / "autograded" / student / assignment / notebook, as_version=4)

    def feedback_html(self, student, assignment, notebook):
        return (self.root / "feedback" / student / assignment / Path(notebook).with_suffix(".html")).read_text()


def copy_course(destination, assignments=None):
    """nbgrader_config.py and solutions/ (all, or only `assignments`) into `destination`."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", destination / "nbgrader_config.py")
    for folder in sorted((ROOT / "solutions").iterdir()):
        if folder.is_dir() and (assignments is None or folder.name in assignments):
            shutil.copytree(folder, destination / "solutions" / folder.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return destination


@pytest.fixture(scope="session")
def make_course_folder():
    """`make_course_folder(folder, assignments=None, **config_overrides)`: a copy of the
    course (the config and solutions/) in `folder`, as a CourseFolder; call
    `.release()` to generate its course/."""

    def make(folder, assignments=None, **config_overrides):
        return CourseFolder(copy_course(folder, assignments), **config_overrides)

    return make
