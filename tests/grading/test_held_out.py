"""The capstone's held-out digits: the instructor's private file, and who sees its labels.

A classifier that carries the public test labels (and finds them by the image, or by
position) gets every public test digit right; judged on digits no student has seen, whose
images alone reach the kernel, it gains nothing, while an honest classifier still passes.
Both sides are played here (the `both_sides` fixture); tests/security/test_held_out_digits.py
grades the same through the real pipeline.
"""

import io

import numpy as np
import pytest

import mlkit
from mlkit.grading import held_out, judge

from .test_judge_standard_layers_capstone import ACCURACY_TEST, QUICK_CLASSIFIER, TRAINING


@pytest.fixture
def private_course(tmp_path, unseen_digits):
    images, labels = unseen_digits
    (tmp_path / held_out.PRIVATE_FILE).parent.mkdir()
    np.savez(tmp_path / held_out.PRIVATE_FILE, images=images, labels=labels)
    return tmp_path


# -- the private file ---------------------------------------------------------------------

def test_a_course_without_the_file_has_no_private_digits(tmp_path):
    assert held_out.private(tmp_path) is None


def test_the_private_file_is_read_as_the_notebook_prepares_the_images(private_course, unseen_digits):
    images, labels = unseen_digits
    (x_train, _), (x_test, _) = mlkit.datasets.digits.load_data()
    assert not (images[:, None] == np.concatenate([x_train, x_test])[None]).all(axis=(2, 3)).any()  # none public
    digits = held_out.private(private_course)
    assert digits.images.shape == (300, 8, 8, 1) and digits.images.dtype == np.float32
    np.testing.assert_allclose(digits.images[..., 0] * 16, images, atol=1e-5)
    assert digits.labels.dtype == np.int64 and np.array_equal(digits.labels, labels)
    assert np.array_equal(np.load(io.BytesIO(digits.images_as_npy), allow_pickle=False),
                          digits.images)


@pytest.mark.parametrize("arrays, says", [
    ({"images": np.zeros((4, 8, 8))}, "must hold the arrays 'images' and 'labels'; it holds ['images']"),
    ({"images": np.zeros((4, 64)), "labels": np.zeros(4, int)}, "must have the shape (n, 8, 8), n > 0"),
    ({"images": np.full((4, 8, 8), 255), "labels": np.zeros(4, int)}, "must be pixel counts from 0 to 16"),
    ({"images": np.zeros((4, 8, 8)), "labels": np.zeros(3, int)}, "must be integers of shape (4,), one per image"),
    ({"images": np.zeros((4, 8, 8)), "labels": np.zeros(4)}, "got dtype float64"),
    ({"images": np.zeros((4, 8, 8)), "labels": np.array([0, 3, 10, 1])}, "must be digits 0..9; got values from 0 to 10"),
    ({"images": np.zeros((4, 8, 8)), "labels": np.array([None] * 4)}, "cannot be read"),
])
def test_a_private_file_that_cannot_be_used_is_refused_with_what_to_save(tmp_path, arrays, says):
    (tmp_path / ".nbgrader").mkdir()
    np.savez(tmp_path / held_out.PRIVATE_FILE, **arrays)
    with pytest.raises(ValueError) as refused:
        held_out.private(tmp_path)
    assert says in str(refused.value) and str(held_out.PRIVATE_FILE) in str(refused.value)
    assert "numpy.savez(path, images=" in str(refused.value)


def test_the_kernel_reads_the_images_it_was_given_and_never_private_labels(private_course, tmp_path, monkeypatch):
    digits = held_out.private(private_course)
    given = tmp_path / held_out.IMAGES_FILE_NAME
    given.write_bytes(digits.images_as_npy)
    monkeypatch.setenv(held_out.IMAGES_VARIABLE, str(given))
    assert np.array_equal(held_out.images(), digits.images)
    assert held_out.labels() is None  # the kernel has none to judge with
    with held_out.judged_with(digits):  # in the judge's process, and only there
        assert np.array_equal(held_out.labels(), digits.labels)
    monkeypatch.delenv(held_out.IMAGES_VARIABLE)
    assert np.array_equal(held_out.labels(), held_out.public().labels)  # a learner's own notebook


# -- judged on private digits ---------------------------------------------------------------

def judged_on(digits, both_sides, learner, given, monkeypatch):
    """The verdict of the accuracy test over `learner`'s cell: the kernel given `digits`' images, the judge
    grading with `digits` (None: the public test digits, nothing given)."""
    if digits is not None:
        given.write_bytes(digits.images_as_npy)
        monkeypatch.setenv(held_out.IMAGES_VARIABLE, str(given))
    records = both_sides.probe_records(learner, ACCURACY_TEST)
    with held_out.judged_with(digits):
        return judge.judge_cell(ACCURACY_TEST, records)


@pytest.mark.parametrize("name", ["looks_up_each_image", "answers_in_order"])
def test_a_classifier_carrying_the_public_labels_passes_on_them_and_fails_on_private_digits(
        name, public_label_cheats, both_sides, private_course, tmp_path, monkeypatch):
    cheat = public_label_cheats[name]
    public = judged_on(None, both_sides, cheat, None, monkeypatch)
    assert public.passed, public.lines  # 100% of the public test digits
    verdict = judged_on(held_out.private(private_course), both_sides, cheat, tmp_path / "given.npy", monkeypatch)
    assert not verdict.passed
    assert "the accuracy of the classifier on the 300 held-out test digits" in "\n".join(verdict.lines)


def test_an_honest_classifier_passes_on_private_digits(both_sides, private_course, tmp_path, monkeypatch):
    verdict = judged_on(held_out.private(private_course), both_sides, QUICK_CLASSIFIER + TRAINING,
                        tmp_path / "given.npy", monkeypatch)
    assert verdict.passed, verdict.lines


def test_predictions_of_other_images_fail_on_their_shape(both_sides, private_course, tmp_path, monkeypatch):
    # the kernel predicts the public test digits (its images file deleted): 359 predictions for 300 labels
    deleting = "import os\nos.remove(os.environ['MLKIT_HELD_OUT_IMAGES'])\n"
    verdict = judged_on(held_out.private(private_course), both_sides, QUICK_CLASSIFIER + TRAINING + deleting,
                        tmp_path / "given.npy", monkeypatch)
    assert not verdict.passed
    assert "Expected: (300, 10)" in "\n".join(verdict.lines) and "(359, 10)" in "\n".join(verdict.lines)
