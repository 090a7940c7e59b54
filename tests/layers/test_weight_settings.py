"""mlkit.layers.weight_settings: the one reading of a weight's initializer, regularizer and constraint,
shared by Dense, the convolutions and MultiHeadAttention."""

import doctest

import numpy as np
import pytest

from mlkit import constraints, initializers, layers, regularizers
from mlkit.layers import weight_settings


def test_docstring_examples():
    result = doctest.testmod(weight_settings, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("make, argument, owner", [
    (lambda **kwargs: layers.Dense(2, name="probe", **kwargs), "bias_regularizer", "Dense"),
    (lambda **kwargs: layers.Conv2D(2, 3, name="probe", **kwargs), "kernel_initializer", "Conv2D"),
    (lambda **kwargs: layers.SeparableConv1D(2, 3, name="probe", **kwargs), "pointwise_constraint", "SeparableConv1D"),
    (lambda **kwargs: layers.MultiHeadAttention(2, 4, name="probe", **kwargs), "bias_initializer", "MultiHeadAttention"),
])
def test_a_setting_that_cannot_be_read_names_the_layer_and_the_argument(make, argument, owner):
    with pytest.raises(ValueError, match=rf"`{argument}` of layer 'probe' \({owner}\)"):
        make(**{argument: "no_such_setting"})


def test_the_settings_are_objects_and_come_back_in_keras_order():
    conv = layers.Conv1D(2, 3, kernel_initializer="ones", bias_regularizer="l2", kernel_constraint="non_neg")
    assert isinstance(conv.kernel_initializer, initializers.Ones)
    assert isinstance(conv.bias_regularizer, regularizers.L2)
    assert isinstance(conv.kernel_constraint, constraints.NonNeg)
    keys = [key for key in conv.get_config() if key.endswith(("_initializer", "_regularizer", "_constraint"))]
    assert keys == ["kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                    "activity_regularizer", "kernel_constraint", "bias_constraint"]
    attention = layers.MultiHeadAttention(2, 4)
    keys = [key for key in attention.get_config() if key.endswith(("_initializer", "_regularizer", "_constraint"))]
    assert keys == ["kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                    "activity_regularizer", "kernel_constraint", "bias_constraint"]
    dense = layers.Dense(3)
    keys = [key for key in dense.get_config() if key.endswith(("_initializer", "_regularizer", "_constraint"))]
    assert keys == ["kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                    "kernel_constraint", "bias_constraint"]


def test_each_attention_projection_gets_the_settings_of_the_layer():
    attention = layers.MultiHeadAttention(2, 4, kernel_initializer="ones", bias_initializer="ones",
                                          kernel_constraint="non_neg")
    attention(np.ones((1, 3, 5), "float32"), np.ones((1, 3, 5), "float32"))
    assert [w.path for w in attention.weights] == [
        f"{attention.name}/{part}/{weight}" for part in ("query", "key", "value", "attention_output")
        for weight in ("kernel", "bias")]
    for weight in attention.weights:
        np.testing.assert_array_equal(np.asarray(weight), np.ones(weight.shape))
    assert all(isinstance(projection.kernel_constraint, constraints.NonNeg) for projection in
               (attention._query_dense, attention._key_dense, attention._value_dense, attention._output_dense))
