"""Fixtures shared by the whole test suite."""

import numpy as np
import pytest

import mlkit


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts with reproducible randomness, fresh layer names and the
    default global settings, whatever the test before it changed."""
    from mlkit import dtype_policies

    mlkit.utils.set_random_seed(1234)
    mlkit.backend.clear_session()
    yield
    mlkit.backend.set_floatx("float32")
    mlkit.backend.set_epsilon(1e-7)
    dtype_policies._global["policy"] = None


@pytest.fixture(scope="session")
def digits_flat():
    """The bundled digits as flat float32 vectors in [0, 1] and integer labels."""
    (x_train, y_train), (x_test, y_test) = mlkit.datasets.digits.load_data()
    flatten = lambda x: (x.reshape(len(x), -1) / 16.0).astype(np.float32)
    return (flatten(x_train), y_train.astype(np.int64)), (flatten(x_test), y_test.astype(np.int64))
