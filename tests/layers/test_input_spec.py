"""InputSpec and assert_input_compatibility: rank, axes, shape and dtype checks."""

import numpy as np
import pytest

from mlkit import layers, ops
from mlkit.layers import InputSpec
from mlkit.layers.input_spec import assert_input_compatibility


def test_constructor_standardizes_like_keras():
    spec = InputSpec(dtype="float", shape=(None, 4), axes={"-1": 4})
    assert spec.dtype == "float32" and spec.shape == (None, 4) and spec.ndim == 2
    assert spec.axes == {-1: 4}
    assert (spec.max_ndim, spec.min_ndim, spec.name, spec.optional, spec.allow_last_axis_squeeze) == (
        None, None, None, False, False,
    )


def test_bad_axes():
    with pytest.raises(TypeError, match="`axes` must be a dict with integer keys"):
        InputSpec(axes={"last": 3})
    with pytest.raises(ValueError, match=r"axis 2 is greater than the largest axis allowed by ndim/max_ndim \(1\)"):
        InputSpec(ndim=2, axes={2: 3})


def test_repr_and_config():
    assert repr(InputSpec(min_ndim=2, axes={-1: 4})) == "InputSpec(min_ndim=2, axes={-1: 4})"
    assert repr(InputSpec(dtype="int32", shape=(None, 3))) == "InputSpec(dtype=int32, shape=(None, 3), ndim=2)"
    spec = InputSpec(ndim=3, axes={-1: 8}, optional=True)
    config = spec.get_config()
    assert config == {"dtype": None, "shape": None, "ndim": 3, "max_ndim": None, "min_ndim": None,
                      "axes": {-1: 8}, "optional": True}
    assert InputSpec.from_config(config).get_config() == config


@pytest.mark.parametrize(
    "spec, shape, message",
    [
        (InputSpec(ndim=2), (2, 3, 4), r"expected ndim=2, found ndim=3. Full shape received: \(2, 3, 4\)"),
        (InputSpec(max_ndim=2), (2, 3, 4), r"expected max_ndim=2, found ndim=3"),
        (InputSpec(min_ndim=2), (3,), r"expected min_ndim=2, found ndim=1.*add a batch axis"),
        (InputSpec(axes={-1: 4}), (2, 5), r"expected axis -1 of input shape to have value 4, but received input with shape \(2, 5\)"),
        (InputSpec(axes={3: 4}), (2, 5), r"axis 3 is out of bounds for an input with ndim=2"),
        (InputSpec(shape=(None, 3)), (2, 4), r"expected shape=\(None, 3\), found shape=\(2, 4\)"),
    ],
)
def test_each_rule_names_the_layer_and_both_shapes(spec, shape, message):
    with pytest.raises(ValueError, match=r'Input 0 of layer "probe" is incompatible with the layer: ' + message):
        assert_input_compatibility(spec, [shape], "probe")


def test_compatible_inputs_pass():
    assert_input_compatibility(InputSpec(ndim=2, axes={-1: 3}), [(None, 3)], "probe")  # unknown sizes match
    assert_input_compatibility(InputSpec(shape=(None, 3)), ops.ones((7, 3)), "probe")
    assert_input_compatibility(InputSpec(min_ndim=1, max_ndim=3), np.ones((2, 2)), "probe")
    assert_input_compatibility(None, [(1,)], "probe")


def test_dtype_rule():
    spec = InputSpec(dtype="int32")
    assert_input_compatibility(spec, ops.zeros((2,), "int32"), "ids")
    with pytest.raises(ValueError, match=r'layer "ids".*expected dtype=int32, found dtype=float32.*ops.cast'):
        assert_input_compatibility(spec, ops.zeros((2,)), "ids")


def test_several_inputs_and_names():
    specs = [InputSpec(ndim=2, name="a"), InputSpec(ndim=3, name="b")]
    assert_input_compatibility(specs, {"b": np.ones((1, 2, 3)), "a": np.ones((1, 2))}, "pair")
    with pytest.raises(ValueError, match=r'Layer "pair" expects 2 input\(s\), but it received 1 input tensors'):
        assert_input_compatibility(specs, [(1, 2)], "pair")
    with pytest.raises(ValueError, match=r'missing data for input "b"'):
        assert_input_compatibility(specs, {"a": np.ones((1, 2))}, "pair")
    with pytest.raises(ValueError, match=r'Input 1 \(named \'b\'\) of layer "pair".*expected ndim=3'):
        assert_input_compatibility(specs, [np.ones((1, 2)), np.ones((1, 2))], "pair")


def test_optional_inputs_and_last_axis_squeeze():
    specs = [InputSpec(ndim=2), InputSpec(ndim=2, optional=True)]
    assert_input_compatibility(specs, [np.ones((1, 2)), None], "maybe")
    squeeze = InputSpec(shape=(None, 28, 28, 1), allow_last_axis_squeeze=True)
    assert_input_compatibility(squeeze, np.ones((2, 28, 28)), "image")
    assert_input_compatibility(squeeze, np.ones((2, 28, 28, 1)), "image")
    with pytest.raises(ValueError, match="expected shape"):
        assert_input_compatibility(squeeze, np.ones((2, 27, 28)), "image")


def test_non_tensor_inputs():
    with pytest.raises(ValueError, match=r'Inputs to a layer should be tensors. Got \'x\' .*layer "probe"'):
        assert_input_compatibility(InputSpec(ndim=1), ["x"], "probe")


def test_a_layer_checks_its_spec_on_call():
    class OnlyMatrices(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = InputSpec(ndim=2, axes={-1: 3})

        def call(self, inputs):
            return inputs

    layer = OnlyMatrices(name="matrices")
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r'layer "matrices".*expected axis -1 of input shape to have value 3.*\(4, 2\)'):
        layer(np.ones((4, 2)))
    layer.input_spec = InputSpec(ndim=2, axes={-1: 2})  # a new spec applies at once
    layer(np.ones((4, 2)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
        layer(np.ones((4, 3)))
