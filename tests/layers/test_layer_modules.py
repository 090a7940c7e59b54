"""`Layer` is split by concept into layer.py and its sibling modules: each one's
`>>>` examples run, and the split leaves `Layer`'s public face where it was."""

import doctest
import importlib
import inspect
import warnings

import numpy as np
import pytest

from mlkit import layers
from mlkit.layers.layer import Layer

MODULES = [
    "mlkit.layers.layer", "mlkit.layers.layer_arguments", "mlkit.layers.layer_building",
    "mlkit.layers.layer_dtypes", "mlkit.layers.layer_graph_position", "mlkit.layers.layer_inputs",
    "mlkit.layers.layer_losses", "mlkit.layers.layer_masking", "mlkit.layers.layer_tracking",
    "mlkit.layers.layer_weight_values", "mlkit.layers.layer_weights",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"


def test_the_contract_stays_in_layer_py():
    for name in ("__init__", "build", "call", "add_weight", "__call__", "get_config", "from_config"):
        assert name in Layer.__dict__, f"Layer.{name} should be defined in layer.py itself"


def test_public_names_of_layer_are_all_there():
    expected = {
        "add_loss", "add_weight", "build", "call", "compute_dtype", "compute_mask",
        "compute_output_shape", "count_params", "dtype", "dtype_policy", "from_config",
        "get_config", "get_weights", "input", "input_dtype", "input_shape", "input_spec",
        "losses", "non_trainable_variables", "non_trainable_weights", "output", "output_shape",
        "set_weights", "trainable", "trainable_variables", "trainable_weights", "training_step",
        "variable_dtype", "variables", "weights",
    }
    public = {name for name in dir(Layer) if not name.startswith("_")}
    assert public == expected
    assert str(inspect.signature(Layer.add_weight)) == (
        "(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True, "
        "regularizer=None, constraint=None, aggregation='mean', name=None)"
    )


def test_a_dropped_mask_is_reported_at_the_line_that_called_the_layer():
    class Doubles(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    masked = layers.Masking(mask_value=0.0)(np.array([[[1.0], [0.0]]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Doubles()(masked)
    assert len(caught) == 1 and "does not support masking" in str(caught[0].message)
    assert caught[0].filename == __file__
