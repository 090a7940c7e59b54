"""Private held-out digits, graded by the real pipeline (sandboxed kernels, the trusted judge, the gradebook).

The assignment asks for a trained digit classifier, judged as the capstone's is
(`check_held_out_accuracy`). The course keeps digits of its own in
.nbgrader/held_out_digits.npz. Two students hand in a model that carries the
public test labels (found by the image, or given in order) and that gets every
public test digit right; another reads the course's file of private labels;
one hands in an honestly trained model, one a model trained far too little.
Only the images reach the sandboxes: the cheats gain nothing, the honest model
keeps its point, and the undertrained one is not taken for a cheat.
"""

import shutil

import nbformat
import numpy as np
import pytest

from mlkit.grading import held_out, instructor
from mlkit.grading.authoring import graded_cell, notebook, setup_cell, solution_cell

from .conftest import course_helpers

pytestmark = [pytest.mark.usefixtures("sandbox_available"),
              pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")]

ASSIGNMENT, NOTEBOOK = "digits", "digits.ipynb"

TRAINING = """\
mlkit.utils.set_random_seed(0)
classifier = mlkit.Sequential([layers.Input(shape=(8, 8, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")])
### BEGIN SOLUTION
classifier.compile(optimizer=mlkit.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
classifier.fit(images_train, y_train, epochs=30, batch_size=64, verbose=0)
### END SOLUTION"""
ACCURACY_TEST = """\
from mlkit import grading
from mlkit.grading.capstone_checks import check_held_out_accuracy

with grading.exercise("the classifier gets at least 90% of the held-out test digits right"):
    check_held_out_accuracy(classifier, minimum=0.9)"""
SETUP = """\
import numpy as np
import mlkit
from mlkit import grading, layers

(x_train, y_train), (x_test, y_test) = mlkit.datasets.digits.load_data()
images_train = (x_train[..., None] / 16.0).astype("float32")"""

# Each replaces the training cell: the two `public_label_cheats` (tests/conftest.py), and this one.
READS_THE_PRIVATE_LABELS = """\
with np.load({private_file!r}) as private:  # the course's own file, at its real path
    private_labels = private["labels"]

class InOrder(mlkit.Sequential):
    def predict(self, x, **kwargs):
        return np.eye(10, dtype="float32")[private_labels[:len(x)]]

classifier = InOrder([layers.Flatten(), layers.Dense(10, activation="softmax")])"""
CHEATS = ["answers_in_order", "looks_up_each_image", "reads_the_private_labels"]


# An honest classifier trained far too little: it fails, and nothing suggests it cheated.
UNDERTRAINED = TRAINING.replace("Adam(0.05)", "Adam(1e-4)").replace("epochs=30", "epochs=1")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, unseen_digits, public_label_cheats):
    helpers = course_helpers()
    root = tmp_path_factory.mktemp("held_out_course")
    course = helpers.CourseFolder(helpers.copy_course(root, assignments=[]))
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(notebook([setup_cell(SETUP), solution_cell("training", TRAINING),
                             graded_cell("accuracy", 1, ACCURACY_TEST)]), root / "solutions" / ASSIGNMENT / NOTEBOOK)
    course.release([ASSIGNMENT])
    (root / ".nbgrader").mkdir(exist_ok=True)
    images, labels = unseen_digits
    np.savez(root / held_out.PRIVATE_FILE, images=images, labels=labels)
    cheats = {**public_label_cheats, "reads_the_private_labels": READS_THE_PRIVATE_LABELS}
    for student, training in {"honest": None, "undertrained": UNDERTRAINED, **cheats}.items():
        book = course.solved_notebook(ASSIGNMENT, NOTEBOOK) if training is None else course.student_notebook(
            ASSIGNMENT, NOTEBOOK)
        for cell in book.cells:
            if training is not None and cell.metadata.get("nbgrader", {}).get("grade_id") == "training":
                cell.source = training.replace("{private_file!r}", repr(str(root / held_out.PRIVATE_FILE)))
        course.submit(student, ASSIGNMENT, NOTEBOOK, book)
    course.results = course.autograde([ASSIGNMENT])
    return course


def accuracy_score(course, student):
    return course.scores(student, ASSIGNMENT, NOTEBOOK)["accuracy"][0]


def test_the_honest_classifier_keeps_its_point_and_an_undertrained_one_is_not_taken_for_a_cheat(graded):
    assert accuracy_score(graded, "honest") == 1.0
    assert accuracy_score(graded, "undertrained") == 0.0
    assert graded.results[ASSIGNMENT, "honest"].incidents == graded.results[ASSIGNMENT, "undertrained"].incidents == []


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_classifier_carrying_the_public_labels_gains_nothing(graded, cheat):
    assert accuracy_score(graded, cheat) == 0.0
    text = str(graded.autograded(cheat, ASSIGNMENT, NOTEBOOK).cells[-1].outputs)
    assert {"reads_the_private_labels": "is not defined"}.get(
        cheat, "the accuracy of the classifier on the 300 held-out test digits") in text


def test_no_submission_is_lost(graded):
    assert {student for _, student in graded.results} == {"honest", "undertrained", *CHEATS}
    assert all(outcome.graded and not outcome.problems for outcome in graded.results.values())


def test_autograde_names_the_private_digits_and_refuses_a_file_it_cannot_use(graded, tmp_path):
    said = []
    instructor._announce_held_out_digits(graded.root, unsafe=False, log=said.append)
    assert said == ["The capstone's classifier is judged on the 300 private held-out digits of "
                    ".nbgrader/held_out_digits.npz."]
    (tmp_path / ".nbgrader").mkdir()
    np.savez(tmp_path / held_out.PRIVATE_FILE, images=np.zeros((3, 8, 8)), labels=np.arange(4))
    with pytest.raises(instructor.GradingError, match="must be integers of shape"):
        instructor._announce_held_out_digits(tmp_path, unsafe=False, log=said.append)


def test_the_instructor_checks_that_the_solution_passes_on_the_private_digits(graded, tmp_path):
    said = []
    assert instructor.check_held_out(graded.root, log=said.append) == {}
    assert said == ["solutions/digits/digits.ipynb: every test cell passes on the 300 private digits"]
    # Digits whose labels do not fit their images (as a file saved in the wrong order would be): named.
    shutil.copytree(graded.root / "solutions", tmp_path / "solutions")
    (tmp_path / ".nbgrader").mkdir()
    with np.load(graded.root / held_out.PRIVATE_FILE) as private:
        np.savez(tmp_path / held_out.PRIVATE_FILE, images=private["images"], labels=(private["labels"] + 1) % 10)
    failed = instructor.check_held_out(tmp_path, log=said.append)
    assert list(failed) == [("solutions/digits/digits.ipynb", "accuracy")]
    assert "the accuracy of the classifier on the 300 held-out test digits" in failed[next(iter(failed))]
