"""`held_out`: the digits the capstone's classifier is graded on, and who may see their labels.

In a learner's notebook the classifier is judged on the test split of the
digits (`digits.load_data()`), which the notebook loads too: nothing there
is secret, nor needs to be. But the digits are public, so a model could
carry their labels and read them off instead of reading the digits.

An instructor who wants a grade no such model can earn keeps digits of
their own, which no student has seen, in the course's `.nbgrader/` folder
(`PRIVATE_FILE`: an `.npz` with `images`, integer pixel counts 0..16 of
shape (n, 8, 8) like the dataset's, and `labels`, 0..9 of shape (n,)).
At autograde the grader then copies only their images into each sandbox
(the file named by `IMAGES_VARIABLE`); the labels stay in the grader's
process, where the judge compares them with the predictions the sandbox
sends. Without the file, the public test split is used as in the notebook.

    >>> digits = public()
    >>> digits.images.shape, digits.images.dtype, digits.labels[:5]
    ((359, 8, 8, 1), dtype('float32'), array([6, 8, 1, 0, 5]))
"""

import contextlib
import functools
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The instructor's private digits, relative to the course's root folder.
PRIVATE_FILE = Path(".nbgrader") / "held_out_digits.npz"
# Set in the sandbox: where the private digits' images are (the file exists only when the course has them).
IMAGES_VARIABLE = "MLKIT_HELD_OUT_IMAGES"
IMAGES_FILE_NAME = "held_out_images.npy"

# The checks that judge predictions with the held-out labels: a sandbox given private images cannot decide them.
CHECKS_NEEDING_LABELS = frozenset({"check_held_out_accuracy", "check_checkpoint_file"})

_judging = threading.local()  # the digits the judge of this thread grades with (several threads judge at once)


@dataclass(frozen=True)
class HeldOutDigits:
    """Images as the capstone prepares them, (n, 8, 8, 1) float32 in [0, 1], and their labels (n,) int64."""

    images: np.ndarray
    labels: np.ndarray

    @functools.cached_property
    def images_as_npy(self):
        """The images alone, as `.npy` bytes: what a sandbox receives (made once, for every notebook)."""
        buffer = io.BytesIO()
        np.save(buffer, self.images, allow_pickle=False)
        return buffer.getvalue()


@functools.cache
def public():
    """The test split of the digits, as notebook 09 prepares it (read once per process)."""
    from mlkit.datasets import digits

    _, (x_test, y_test) = digits.load_data()
    return HeldOutDigits((x_test[..., None] / 16.0).astype("float32"), y_test.astype("int64"))


def private(course_root):
    """The instructor's private digits of the course at `course_root`, or None when it has none."""
    path = Path(course_root) / PRIVATE_FILE
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as error:
        raise ValueError(f"The held-out digits in {path} cannot be read ({error}). Save them with "
                         "numpy.savez(path, images=..., labels=...), as plain arrays.") from error
    return HeldOutDigits(*_checked(arrays, path))


def _checked(arrays, path):
    """(images in [0, 1] with a channel axis, labels) of a private file, or a ValueError saying what is wrong."""
    fix = "Save numpy.savez(path, images=<uint8 (n, 8, 8), pixel counts 0..16>, labels=<integers 0..9, (n,)>)."
    if sorted(arrays) != ["images", "labels"]:
        raise ValueError(f"The held-out digits in {path} must hold the arrays 'images' and 'labels'; "
                         f"it holds {sorted(arrays) or 'no array'}. {fix}")
    images, labels = arrays["images"], arrays["labels"]
    if images.ndim != 3 or images.shape[1:] != (8, 8) or len(images) == 0:
        raise ValueError(f"The held-out images in {path} must have the shape (n, 8, 8), n > 0, like the "
                         f"digits of mlkit.datasets.digits; got {images.shape}. {fix}")
    if not np.issubdtype(images.dtype, np.number) or not (np.all(images >= 0) and np.all(images <= 16)):
        raise ValueError(f"The held-out images in {path} must be pixel counts from 0 to 16, like the dataset's "
                         f"(not yet divided by 16); got dtype {images.dtype}. {fix}")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"The held-out labels in {path} must be integers of shape ({len(images)},), one per image; "
                         f"got dtype {labels.dtype}, shape {labels.shape}. {fix}")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"The held-out labels in {path} must be digits 0..9; got values from {labels.min()} "
                         f"to {labels.max()}. {fix}")
    return (images[..., None] / 16.0).astype("float32"), labels.astype("int64")


def images():
    """The images to classify: the private ones where the sandbox received them, else the public test split."""
    path = os.environ.get(IMAGES_VARIABLE)
    if path and os.path.exists(path):
        return np.load(path, allow_pickle=False)
    judged = getattr(_judging, "digits", None)
    return (judged or public()).images


def labels():
    """The labels that judge the predictions: those of the digits this thread's judge grades with (see
    `judged_with`), else the public test split's; None in a sandbox given private images, whose labels
    only the grader has (its kernel cannot judge the accuracy, and does not try)."""
    judged = getattr(_judging, "digits", None)
    if judged is not None:
        return judged.labels
    if os.path.exists(os.environ.get(IMAGES_VARIABLE) or ""):
        return None
    return public().labels


@contextlib.contextmanager
def judged_with(digits):
    """Within this block, the judge of this thread grades with `digits` (a HeldOutDigits; None: the public ones)."""
    before = getattr(_judging, "digits", None)
    _judging.digits = digits
    try:
        yield digits
    finally:
        _judging.digits = before


def kernel_could_not_judge(records):
    """Whether a test cell's `records` (its kernel's observations) include a check the kernel could not
    decide, since it had the private images and not their labels: its own run says nothing then."""
    return getattr(_judging, "digits", None) is not None and any(
        isinstance(record, dict) and record.get("name") in CHECKS_NEEDING_LABELS for record in records)
