"""Tests for mlkit.datasets.digits: the packaged 8x8 handwritten digits."""

import doctest
import importlib
import importlib.util
import socket
from pathlib import Path

import numpy as np
import pytest

from mlkit.datasets import digits

TOTAL = 1797


@pytest.fixture(scope="module")
def default_split():
    return digits.load_data()


def test_shapes_dtypes_and_counts(default_split):
    (x_train, y_train), (x_test, y_test) = default_split
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.uint8
    assert len(y_train) + len(y_test) == TOTAL


def test_pixels_are_raw_counts_from_0_to_16(default_split):
    (x_train, _), (x_test, _) = default_split
    for x in (x_train, x_test):
        assert x.min() == 0 and x.max() == 16
        assert np.array_equal(x, np.round(x))  # whole numbers, not rescaled


def test_every_digit_in_both_splits_in_the_same_proportion(default_split):
    (_, y_train), (_, y_test) = default_split
    train_counts = np.bincount(y_train, minlength=10)
    test_counts = np.bincount(y_test, minlength=10)
    assert len(train_counts) == len(test_counts) == 10
    assert (train_counts > 0).all() and (test_counts > 0).all()
    totals = train_counts + test_counts
    assert np.array_equal(test_counts, np.round(0.2 * totals).astype(int))


def test_split_is_a_partition_of_the_packaged_data(default_split):
    (x_train, y_train), (x_test, y_test) = default_split
    with np.load(digits.DATA_FILE) as data:
        images, labels = data["images"], data["labels"]

    def sorted_rows(x, y):
        rows = np.column_stack([x.reshape(len(x), -1), y]).astype(np.int64)
        return rows[np.lexsort(rows.T[::-1])]

    split_rows = sorted_rows(np.concatenate([x_train, x_test]),
                             np.concatenate([y_train, y_test]))
    assert np.array_equal(split_rows, sorted_rows(images, labels))


def test_same_seed_same_arrays_other_seed_other_order(default_split):
    (x_a, y_a), (xt_a, yt_a) = default_split
    (x_b, y_b), (xt_b, yt_b) = digits.load_data()
    for first, second in [(x_a, x_b), (y_a, y_b), (xt_a, xt_b), (yt_a, yt_b)]:
        assert np.array_equal(first, second)
    (x_c, _), (xt_c, _) = digits.load_data(seed=7)
    assert x_c.shape == x_a.shape
    assert not np.array_equal(x_a, x_c) and not np.array_equal(xt_a, xt_c)


def test_other_test_split():
    (x_train, _), (x_test, y_test) = digits.load_data(test_split=0.5)
    assert len(x_train) + len(x_test) == TOTAL
    assert abs(len(x_test) - TOTAL / 2) <= 10
    assert len(np.unique(y_test)) == 10


@pytest.mark.parametrize("bad", [0, 0.0, 1, 1.5, -0.2, "0.2", None, True])
def test_bad_test_split_is_rejected(bad):
    with pytest.raises(ValueError, match=r"digits\.load_data: test_split must be"):
        digits.load_data(test_split=bad)


@pytest.mark.parametrize("bad", [-1, 1.5, "1", None])
def test_bad_seed_is_rejected(bad):
    with pytest.raises(ValueError, match=r"digits\.load_data: seed must be"):
        digits.load_data(seed=bad)


def test_loads_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("mlkit.datasets.digits tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    fresh = importlib.reload(digits)
    (x_train, _), (x_test, _) = fresh.load_data()
    assert len(x_train) + len(x_test) == TOTAL


def test_data_and_licence_files_ship_inside_the_package():
    data_dir = Path(digits.__file__).parent / "data"
    assert digits.DATA_FILE == data_dir / "digits.npz"
    assert digits.DATA_FILE.stat().st_size < 100_000  # stays small
    licence = (data_dir / "DIGITS_LICENSE.txt").read_text(encoding="utf-8")
    for required in ["Alpaydin", "Kaynak", "UCI Machine Learning Repository",
                     "CC BY 4.0", "10.24432/C50P49", "1,797"]:
        assert required in licence


def test_data_matches_scikit_learn_copy_when_installed():
    spec = importlib.util.find_spec("sklearn")  # locate, do not import
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-learn not installed")
    csv = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if not csv.exists():
        pytest.skip("scikit-learn digits.csv.gz not found")
    raw = np.loadtxt(csv, delimiter=",", dtype=np.int64)
    with np.load(digits.DATA_FILE) as data:
        assert np.array_equal(data["images"].reshape(TOTAL, 64), raw[:, :64])
        assert np.array_equal(data["labels"], raw[:, 64])


def test_docstring_examples_run():
    result = doctest.testmod(digits)
    assert result.attempted > 0 and result.failed == 0
