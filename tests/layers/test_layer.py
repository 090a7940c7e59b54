"""The Layer contract: construction, lazy build, weights and tracking, the
training flag, losses, get/set_weights — with Keras 3's semantics."""

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import mlkit
from mlkit import Variable, backend, constraints, layers, ops, regularizers
from mlkit.layers import layer as layer_module


@pytest.fixture
def fresh_names():
    backend.clear_session()
    yield
    backend.clear_session()


class Recorder(layers.Layer):
    """Records every build() call and the training flag call() sees."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.build_shapes = []
        self.seen_training = []

    def build(self, input_shape):
        self.build_shapes.append(input_shape)

    def call(self, inputs, training=None):
        self.seen_training.append(training)
        return inputs


# -- construction -------------------------------------------------------------
def test_init_signature_matches_keras():
    parameters = inspect.signature(layers.Layer.__init__).parameters
    assert list(parameters)[1:] == ["activity_regularizer", "trainable", "dtype", "autocast", "name", "kwargs"]
    assert all(parameters[name].kind is inspect.Parameter.KEYWORD_ONLY for name in list(parameters)[1:6])
    defaults = {name: parameters[name].default for name in list(parameters)[1:6]}
    assert defaults == {"activity_regularizer": None, "trainable": True, "dtype": None, "autocast": True, "name": None}


def test_unknown_keyword_arguments_raise_value_error_naming_them():
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments passed to Dense: \{'unit': 3\}"):
        layers.Dense(3, unit=3)
    with pytest.raises(ValueError, match=r"batch_input_shape.*mlkit\.Input\(shape=\.\.\., batch_size=\.\.\.\)"):
        layers.Dense(3, batch_input_shape=(None, 4))


def test_input_shape_and_input_dim_are_accepted_for_sequential():
    assert layers.Dense(3, input_shape=(4,))._input_shape_arg == (None, 4)
    assert layers.Dense(3, input_dim=5)._input_shape_arg == (None, 5)
    assert layers.Dense(3)._input_shape_arg is None


def test_default_names_are_unique_snake_case(fresh_names):
    class MyBlock(layers.Layer):
        def call(self, inputs):
            return inputs

    names = [layers.Dense(1).name, layers.Dense(1).name, MyBlock().name, MyBlock().name]
    assert names == ["dense", "dense_1", "my_block", "my_block_1"]
    assert layers.Dense(1, name="head").name == "head"


def test_invalid_name_and_trainable_raise_value_error():
    with pytest.raises(ValueError, match="without '/'"):
        layers.Dense(1, name="a/b")
    with pytest.raises(ValueError, match=r"Dense: expected `trainable` to be a boolean.*trainable='yes'"):
        layers.Dense(1, trainable="yes")


def test_repr_and_str_show_class_name_and_build_state():
    dense = layers.Dense(2, name="head")
    assert repr(dense) == "<Dense name=head, built=False>"
    dense(np.ones((1, 3)))
    assert str(dense) == "<Dense name=head, built=True>"


def test_a_sublayer_assigned_before_super_init_gives_a_clear_error():
    class Early(layers.Layer):
        def __init__(self, **kwargs):
            self.units = 3  # a plain setting is fine before super().__init__
            self.parts = [layers.Dense(3)]
            super().__init__(**kwargs)

    with pytest.raises(RuntimeError, match=r"In layer 'Early', a layer or weight was assigned to self.parts "
                                           r"before super\(\).__init__\(\) ran"):
        Early()


def test_forgetting_super_init_gives_a_clear_error():
    class Forgetful(layers.Layer):
        def __init__(self, units):
            self.units = units

        def call(self, inputs):
            return inputs

    layer = Forgetful(3)
    with pytest.raises(RuntimeError, match=r"In layer 'Forgetful', you forgot to call `super\(\).__init__\(\)`"):
        layer(np.ones((1, 2)))
    assert "built=False" in repr(layer)  # repr still works

    class ForgetfulWithWeights(layers.Layer):
        def __init__(self):
            self.w = self.add_weight(shape=(2,))

    with pytest.raises(RuntimeError, match=r"ForgetfulWithWeights.*add_weight.*super\(\).__init__\(\*\*kwargs\)"):
        ForgetfulWithWeights()


# -- build ----------------------------------------------------------------------
def test_build_runs_lazily_and_once_with_the_input_shape():
    layer = Recorder()
    assert not layer.built and layer.build_shapes == []
    layer(np.ones((2, 3)))
    layer(np.ones((5, 3)))
    assert layer.built and layer.build_shapes == [(2, 3)]


def test_build_receives_lists_and_dicts_of_shapes():
    as_list, as_dict = Recorder(), Recorder()
    as_list([np.ones((2, 3)), np.ones((2, 5))])
    as_dict({"image": np.ones((2, 4, 4)), "label": np.ones((2,), "int32")})
    assert as_list.build_shapes == [[(2, 3), (2, 5)]]
    assert as_dict.build_shapes == [{"image": (2, 4, 4), "label": (2,)}]


def test_manual_build_marks_built_and_call_does_not_build_again():
    layer = Recorder()
    layer.build((None, 4))
    assert layer.built
    layer(np.ones((1, 4)))
    assert layer.build_shapes == [(None, 4)]


def test_custom_build_may_call_super_build():
    class WithSuper(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            super().build(input_shape)

        def call(self, inputs):
            return inputs * self.w

    layer = WithSuper()
    np.testing.assert_array_equal(layer(np.full((1, 2), 3.0)).numpy(), [[3.0, 3.0]])
    assert layer.built and len(layer.weights) == 1


def test_weights_in_init_and_in_build():
    class Both(layers.Layer):
        def __init__(self):
            super().__init__()
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def build(self, input_shape):
            self.shift = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="shift")

        def call(self, inputs):
            return inputs * self.scale + self.shift

    layer = Both()
    assert [w.name for w in layer.weights] == ["scale"]
    layer(np.ones((2, 3)))
    assert [w.name for w in layer.weights] == ["scale", "shift"]


def test_creating_a_weight_in_call_raises_the_keras_error():
    class Lazy(layers.Layer):
        def call(self, inputs):
            self.w = self.add_weight(shape=(), initializer="zeros")
            return inputs

    layer = Lazy(name="lazy")
    with pytest.raises(ValueError, match=r"'lazy'.*cannot add new elements of state.*in build\(\)"):
        layer(np.ones((2, 2)))


def test_a_second_build_cannot_create_the_weights_again():
    layer = layers.Dense(3, name="twice")
    layer.build((None, 2))
    kernel = layer.kernel
    with pytest.raises(ValueError, match=r"'twice'.*add a weight \(kernel\).*cannot add new elements of state"):
        layer.build((None, 2))
    assert len(layer.weights) == 2 and layer.kernel is kernel


def test_a_sublayer_assigned_after_build_is_refused_but_other_attributes_are_not():
    layer = layers.Dense(3, name="host")
    layer(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"'host'.*sublayer \(extra = Dense\(\.\.\.\)\)"):
        layer.extra = layers.Dense(2)
    layer.note = "plain attributes are fine"
    assert layer._layers == [] and layer.note == "plain attributes are fine"


def test_sublayers_created_in_build_are_allowed():
    class Wrapper(layers.Layer):
        def build(self, input_shape):
            self.inner = layers.Dense(4)
            self.inner.build(input_shape)

        def call(self, inputs):
            return self.inner(inputs)

    wrapper = Wrapper()
    assert wrapper(np.ones((2, 3))).shape == (2, 4)
    assert len(wrapper.weights) == 2


def test_input_spec_is_checked_before_build():
    class Flat(Recorder):
        def __init__(self):
            super().__init__(name="flat")
            self.input_spec = layers.InputSpec(ndim=2)

    layer = Flat()
    with pytest.raises(ValueError, match=r'layer "flat".*expected ndim=2, found ndim=3'):
        layer(np.ones((1, 2, 3)))
    assert layer.build_shapes == [] and not layer.built


def test_input_spec_is_checked_only_when_the_input_shape_changes(monkeypatch):
    calls = []
    real = layer_module.assert_input_compatibility
    monkeypatch.setattr(layer_module, "assert_input_compatibility", lambda *a: (calls.append(1), real(*a)))
    dense = layers.Dense(2)
    x = ops.ones((4, 3))
    dense(x)
    first = len(calls)  # before and after build
    for _ in range(5):
        dense(x)
    assert first == 2 and len(calls) == 2
    dense(ops.ones((7, 3)))  # a new batch size is checked once more
    dense(ops.ones((7, 3)))
    assert len(calls) == 3


def test_inputs_are_converted_to_tensors():
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs):
            seen.append(inputs)
            return inputs

    Spy()(np.array([[1.0, 2.0]]))
    Spy()((np.ones(2), np.zeros(2, "int32")))
    Spy()({"a": [np.ones(1), None]})
    assert isinstance(seen[0], ops.Tensor) and seen[0].dtype == "float32"  # float64 autocast
    assert isinstance(seen[1], tuple) and [t.dtype for t in seen[1]] == ["float32", "int32"]
    assert isinstance(seen[2]["a"][0], ops.Tensor) and seen[2]["a"][1] is None


def test_python_numbers_are_not_tensors():
    with pytest.raises(ValueError, match=r"'spy'.*expects tensor inputs, got the float 1.0.*np.array"):
        Recorder(name="spy")([[1.0, 2.0]])  # a structure of numbers, as Keras sees it


def test_non_numeric_inputs_raise_naming_the_layer():
    dense = layers.Dense(2, name="head")
    with pytest.raises(TypeError, match=r"Layer 'head' \(Dense\) expects numeric inputs.*<U"):
        dense(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=r"Layer 'head' \(Dense\) expects tensor inputs, got the str 'abc'"):
        dense("abc")
    with pytest.raises(TypeError, match="Layer 'head'"):
        dense([[object(), object()]])
    assert not dense.built


def test_calling_without_inputs():
    with pytest.raises(ValueError, match="called without inputs"):
        layers.Dense(2)()
    np.testing.assert_array_equal(Recorder()(inputs=np.ones((1, 2))).numpy(), [[1.0, 1.0]])


# -- the training flag ----------------------------------------------------------
class Outer(layers.Layer):
    def __init__(self, inner_training=None, **kwargs):
        super().__init__(**kwargs)
        self.inner = Recorder()
        self.explicit = Recorder()
        self.inner_training = inner_training

    def call(self, inputs):
        self.inner(inputs)  # not told: inherits the outer value
        return self.explicit(inputs, training=self.inner_training)


def test_training_reaches_nested_layers_not_given_it():
    outer = Outer()
    outer(np.ones((1, 2)), training=True)
    outer(np.ones((1, 2)), training=False)
    outer(np.ones((1, 2)))
    assert outer.inner.seen_training == [True, False, None]


def test_an_explicit_inner_value_wins():
    outer = Outer(inner_training=False)
    outer(np.ones((1, 2)), training=True)
    assert outer.explicit.seen_training == [False] and outer.inner.seen_training == [True]


def test_the_call_signature_default_applies_to_nested_layers():
    class DefaultsToTraining(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Recorder()

        def call(self, inputs, training=True):
            return self.inner(inputs)

    layer = DefaultsToTraining()
    layer(np.ones((1, 2)))
    layer(np.ones((1, 2)), training=False)
    assert layer.inner.seen_training == [True, False]


def test_training_is_passed_only_to_a_call_that_names_it():
    received = []

    class Plain(layers.Layer):
        def call(self, inputs):
            return inputs

    class TakesKwargs(layers.Layer):
        def call(self, inputs, **kwargs):
            received.append(kwargs)
            return inputs

    Plain()(np.ones((1, 2)), training=True)  # accepted and dropped, as in Keras
    TakesKwargs()(np.ones((1, 2)), training=True)
    assert received == [{}]


def test_a_failing_call_does_not_leak_the_training_flag():
    class Broken(layers.Layer):
        def call(self, inputs, training=None):
            raise RuntimeError("oops")

    with pytest.raises(RuntimeError):
        Broken()(np.ones((1, 2)), training=True)
    after = Recorder()
    after(np.ones((1, 2)))
    assert after.seen_training == [None]


# -- repeat calls (Layer._call_again) --------------------------------------------
def test_a_repeat_call_on_a_known_shape_takes_the_short_path(monkeypatch):
    full_calls = []
    real = layer_module.shapes_of
    monkeypatch.setattr(layer_module, "shapes_of", lambda inputs: (full_calls.append(1), real(inputs))[1])
    monkeypatch.setattr(layer_module, "loss_holders", [])  # add_loss() losses other tests left behind
    dense = layers.Dense(2)
    x = ops.ones((4, 3))
    first = dense(x)
    assert len(full_calls) == 1
    again = [dense(x) for _ in range(3)]
    assert len(full_calls) == 1  # repeat calls skip conversion and checks
    for output in again:
        np.testing.assert_array_equal(output.numpy(), first.numpy())
    dense(ops.ones((5, 3)))  # a new shape goes the full way, once
    dense(ops.ones((5, 3)))
    assert len(full_calls) == 2
    from_array = dense(np.ones((4, 3), dtype="float32"))  # a NumPy batch, as fit() passes it
    assert len(full_calls) == 2 and isinstance(from_array, ops.Tensor)
    np.testing.assert_array_equal(from_array.numpy(), first.numpy())
    assert dense(np.ones((4, 3))).dtype == "float32" and len(full_calls) == 3  # float64: converted


def test_repeat_calls_on_tensors_pass_the_training_flag_as_the_first_did():
    outer = Outer(inner_training=False)
    x = ops.ones((1, 2))
    for training in (True, False, None, True):
        outer(x, training=training)
    assert outer.inner.seen_training == [True, False, None, True]
    assert outer.explicit.seen_training == [False] * 4


def test_a_failing_repeat_call_does_not_leak_the_training_flag_or_the_scope():
    from mlkit.layers.call_context import context

    class FailsSecondTime(layers.Layer):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def call(self, inputs, training=None):
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("oops")
            return inputs

    layer, x = FailsSecondTime(), ops.ones((1, 2))
    layer(x, training=True)
    with pytest.raises(RuntimeError):
        layer(x, training=True)
    assert (context.training, context.depth, context.scope) == (None, 0, [])


def test_a_repeat_call_returning_none_is_still_explained():
    class SometimesNone(layers.Layer):
        def call(self, inputs):
            return None if self.__dict__.get("broken") else inputs

    layer, x = SometimesNone(), ops.ones((1, 2))
    layer(x)
    layer.broken = True
    with pytest.raises(Exception, match="None"):
        layer(x)


def test_repeat_calls_see_changes_made_between_them():
    dense, x = layers.Dense(2), ops.ones((4, 3))
    dense(x)
    assert dense(ops.ones((4, 3), dtype="float64")).dtype == "float32"  # still cast
    dense.activity_regularizer = regularizers.L2(0.1)  # set after the first calls
    dense(x)
    assert len(dense.losses) == 1
    dense.activity_regularizer = None
    dense.input_spec = layers.InputSpec(shape=(None, 4))  # a new spec is checked at the next call
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(4, 3\)"):
        dense(x)


def test_repeat_calls_pass_masks_on():
    masking, dense = layers.Masking(), layers.Dense(2)
    x = ops.convert_to_tensor(np.array([[[1.0], [0.0]]], dtype="float32"))
    for _ in range(2):
        outputs = dense(masking(x))
        assert outputs._keras_mask.numpy().tolist() == [[True, False]]


# -- add_weight -----------------------------------------------------------------
def test_add_weight_signature_and_defaults_follow_seed_002():
    parameters = inspect.signature(layers.Layer.add_weight).parameters
    assert list(parameters)[1:] == [
        "shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint", "aggregation", "name",
    ]
    defaults = [parameters[name].default for name in list(parameters)[1:]]
    assert defaults == [None, None, None, True, True, None, None, "mean", None]


def test_add_weight_defaults(fresh_names):
    layer = layers.Layer(name="owner")
    scalar = layer.add_weight()
    counter = layer.add_weight(dtype="int32", trainable=False)
    flag = layer.add_weight(dtype="bool", trainable=False)
    ones = layer.add_weight(shape=(2, 2), initializer="ones", name="ones")
    assert scalar.shape == () and scalar.dtype == "float32" and scalar.trainable
    assert counter.dtype == "int32" and counter.numpy() == 0 and not counter.trainable
    assert flag.dtype == "bool" and flag.numpy() == False  # noqa: E712
    np.testing.assert_array_equal(ones.numpy(), np.ones((2, 2)))
    assert scalar.aggregation == "mean" and scalar.autocast
    assert [scalar.name, counter.name] == ["variable", "variable_1"]
    assert [scalar.path, ones.path] == ["owner/variable", "owner/ones"]
    big = layer.add_weight(shape=(50, 50))  # glorot_uniform, not zeros
    assert 0 < np.abs(big.numpy()).max() <= np.sqrt(6 / 100)


def test_add_weight_resolves_regularizer_and_constraint_names():
    layer = layers.Layer()
    w = layer.add_weight(shape=(2,), initializer="ones", regularizer="l2", constraint="non_neg", name="w")
    assert isinstance(w.regularizer, regularizers.L2) and isinstance(w.constraint, constraints.NonNeg)
    np.testing.assert_allclose(float(layer.losses[0]), 0.01 * 2)


def test_add_weight_bad_arguments_name_the_layer():
    layer = layers.Layer(name="owner")
    with pytest.raises(ValueError, match=r"'owner'.*`name` must be passed.*add_weight\(shape=\.\.\., name='kernel'\)"):
        layer.add_weight("kernel", (2, 2))
    with pytest.raises(ValueError, match=r"'owner'.*fully known shape.*\(None, 3\)"):
        layer.add_weight(shape=(None, 3))
    with pytest.raises(ValueError, match=r"Invalid initializer for weight 'kernel' of layer 'owner'.*'glorot_unifrom'"):
        layer.add_weight(shape=(2,), initializer="glorot_unifrom", name="kernel")
    assert layer.weights == []


# -- weights and tracking -------------------------------------------------------
class Block(layers.Layer):
    """Own non-trainable weight created before a trainable one, then sublayers."""

    def __init__(self):
        super().__init__(name="block")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")
        self.gain = self.add_weight(shape=(), initializer="ones", name="gain")
        self.first = layers.Dense(2, name="first")
        self.stack = [layers.Dense(2, name="in_list")]
        self.by_name = {"extra": layers.Dense(2, name="in_dict")}

    def build(self, input_shape):
        self.stack.append(layers.Dense(2, name="appended"))  # appended after assignment

    def call(self, inputs):
        x = self.first(inputs) * self.gain
        for layer in self.stack:
            x = layer(x)
        return self.by_name["extra"](x)


def test_weights_order_is_own_trainable_own_non_trainable_then_sublayers():
    block = Block()
    block(np.ones((1, 3)))
    paths = [w.path for w in block.weights]
    assert paths == [
        "block/gain", "block/count",
        "block/first/kernel", "block/first/bias",
        "block/in_list/kernel", "block/in_list/bias",
        "block/appended/kernel", "block/appended/bias",
        "block/in_dict/kernel", "block/in_dict/bias",
    ]
    assert block.variables == block.weights
    assert [w.path for w in block.non_trainable_weights] == ["block/count"]
    assert len(block.trainable_weights) == 9 and block.trainable_variables == block.trainable_weights
    assert [layer.name for layer in block._flatten_layers()] == ["block", "first", "in_list", "appended", "in_dict"]


def test_sublayers_in_nested_lists_are_tracked():
    class Grid(layers.Layer):
        def build(self, input_shape):
            self.rows = []
            for i in range(2):
                row = []
                self.rows.append(row)
                for j in range(2):
                    row.append(layers.Dense(1, name=f"cell_{i}_{j}"))

        def call(self, x):
            for row in self.rows:
                for cell in row:
                    x = cell(x)
            return x

    grid = Grid()
    grid(np.ones((4, 1)))
    assert len(grid.weights) == 8


def test_variables_assigned_as_attributes_are_weights():
    class Holder(layers.Layer):
        def __init__(self):
            super().__init__()
            self.fixed = Variable(np.ones(2), trainable=False, name="fixed")
            self.free = Variable(np.zeros(3), name="free")
            self.table = {"w": Variable(np.ones(1), name="in_dict")}

    holder = Holder()
    assert [v.name for v in holder.weights] == ["free", "in_dict", "fixed"]
    holder.trainable = False
    assert holder.trainable_weights == [] and not holder.free.trainable
    holder.trainable = True
    assert [v.name for v in holder.trainable_weights] == ["free", "in_dict"]
    assert not holder.fixed.trainable  # a non-trainable variable stays so


def test_trainable_setter_freezes_and_unfreezes_every_sublayer():
    block = Block()
    block(np.ones((1, 3)))
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 10
    assert not block.first.trainable and not block.stack[1].kernel.trainable
    assert block.first.trainable_weights == []
    block.trainable = True
    assert len(block.trainable_weights) == 9 and block.stack[1].trainable
    assert not block.count.trainable


def test_a_layer_created_frozen():
    dense = layers.Dense(2, trainable=False)
    dense(np.ones((1, 3)))
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert len(dense._trainable_variables) == 2  # filed as trainable, currently frozen
    dense.trainable = True
    assert len(dense.trainable_weights) == 2


def test_inner_layer_frozen_alone():
    block = Block()
    block(np.ones((1, 3)))
    block.first.trainable = False
    assert [w.path for w in block.trainable_weights][:3] == ["block/gain", "block/in_list/kernel", "block/in_list/bias"]


# -- get_weights / set_weights / count_params ----------------------------------
def test_get_and_set_weights_round_trip():
    dense = layers.Dense(2)
    dense(np.ones((1, 3)))
    kernel, bias = np.arange(6.0).reshape(3, 2), np.array([1.0, -1.0])
    dense.set_weights([kernel, bias])
    got = dense.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)
    assert got[0].dtype == np.float32
    got[0][0, 0] = 100.0  # copies: the layer is unchanged
    assert dense.kernel.numpy()[0, 0] == 0.0
    np.testing.assert_allclose(dense(np.ones((1, 3))).numpy(), [[7.0, 8.0]])


def test_set_weights_with_a_wrong_count_changes_nothing():
    dense = layers.Dense(2, name="head")
    dense(np.ones((1, 3)))
    before = dense.get_weights()
    with pytest.raises(ValueError, match=r"layer 'head' with a weight list of length 1, but the layer was expecting 2 weights \(head/kernel, head/bias\)"):
        dense.set_weights([np.zeros((3, 2))])
    for old, new in zip(before, dense.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_set_weights_with_a_wrong_shape_changes_nothing():
    dense = layers.Dense(2, name="head")
    dense(np.ones((1, 3)))
    before = dense.get_weights()
    with pytest.raises(ValueError, match=r"'head': weight 'head/bias' has shape \(2,\), but set_weights received an array of shape \(3,\)"):
        dense.set_weights([np.zeros((3, 2)), np.zeros(3)])  # the first one would fit
    np.testing.assert_array_equal(dense.kernel.numpy(), before[0])


def test_set_weights_on_an_unbuilt_layer_says_so():
    with pytest.raises(ValueError, match="none: is it built"):
        layers.Dense(2).set_weights([np.zeros((3, 2)), np.zeros(2)])


def test_count_params():
    dense = layers.Dense(4, name="head")
    with pytest.raises(ValueError, match=r"count_params on layer 'head', but the layer isn't built"):
        dense.count_params()
    dense(np.ones((2, 3)))
    assert dense.count_params() == 3 * 4 + 4
    block = Block()
    block(np.ones((1, 3)))
    assert block.count_params() == 2 + (3 * 2 + 2) + 3 * (2 * 2 + 2)


# -- losses -----------------------------------------------------------------------
class Penalized(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        self.add_loss(self.factor * ops.sum(inputs))
        return inputs


class Nest(layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2, kernel_regularizer=regularizers.l1(0.5), kernel_initializer="ones")
        self.penalty = Penalized(2.0)

    def call(self, inputs):
        self.add_loss(ops.convert_to_tensor(100.0))
        return self.penalty(self.dense(inputs))


def test_losses_collect_own_nested_then_regularizer_losses():
    nest = Nest()
    nest(np.ones((1, 3)))  # dense output: [[3, 3]]
    assert [float(loss) for loss in nest.losses] == [100.0, 12.0, 0.5 * 6]
    assert [float(loss) for loss in nest.penalty.losses] == [12.0]


def test_losses_are_fresh_on_each_outer_call():
    nest = Nest()
    nest(np.ones((1, 3)))
    nest(np.ones((2, 3)))  # dense output: 2 rows of [3, 3]
    assert [float(loss) for loss in nest.losses] == [100.0, 24.0, 3.0]
    nest.penalty(np.ones((1, 1)))  # calling the inner layer alone resets only its own
    assert [float(loss) for loss in nest.losses] == [100.0, 2.0, 3.0]


def test_regularizers_count_only_trainable_weights():
    nest = Nest()
    nest(np.ones((1, 3)))
    nest.dense.trainable = False
    assert [float(loss) for loss in nest.losses] == [100.0, 12.0]
    nest.trainable = False
    assert len(nest.losses) == 2  # add_loss losses stay


def test_activity_regularizer_is_divided_by_the_batch_size():
    class Identity(layers.Layer):
        def call(self, x):
            return x

    layer = Identity(activity_regularizer="l1")
    layer(np.ones((1,)))
    np.testing.assert_allclose([float(v) for v in layer.losses], [0.01])
    layer(np.full((4, 2), 3.0))
    np.testing.assert_allclose([float(v) for v in layer.losses], [0.01 * 24 / 4])


def test_add_loss_rejects_plain_python_numbers():
    class Bad(layers.Layer):
        def call(self, x):
            self.add_loss(0.5)
            return x

    with pytest.raises(ValueError, match=r"'bad'.*add_loss\(\) expects a tensor.*got 0.5 of type float"):
        Bad(name="bad")(np.ones((1, 2)))


def test_add_loss_accepts_lists_and_numpy_values():
    layer = layers.Layer()
    layer.add_loss([ops.convert_to_tensor(1.0), np.float32(2.0)])
    assert [float(v) for v in layer.losses] == [1.0, 2.0]


# -- shapes -----------------------------------------------------------------------
def test_compute_output_shape():
    assert layers.Dense(5).compute_output_shape((None, 7, 3)) == (None, 7, 5)

    class Doubler(layers.Layer):
        def call(self, inputs):
            return ops.concatenate([inputs, inputs], axis=-1)

    assert Doubler().compute_output_shape((None, 3)) == (None, 6)


# -- import time --------------------------------------------------------------------
def test_import_mlkit_is_fast(tmp_path):
    """Best of 3 fresh interpreters, with bytecode cached as after `pip install`
    (the target is < 0.3 s; the bound is loose so a busy machine does not fail it)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path)  # keeps .pyc files out of the repository
    code = "import time; t = time.perf_counter(); import mlkit; print(time.perf_counter() - t)"

    def run():
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        return float(done.stdout)

    run()  # compiles and caches the bytecode
    best = min(run() for _ in range(3))
    assert best < 1.0, f"import mlkit took {best:.3f} s"
    assert mlkit.layers.Layer is layers.Layer


# -- weight paths follow the layer calls they were made in, as in Keras ---------
class ScopedConvBlock(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(2, 3, name="conv2d")

    def call(self, inputs):
        return self.conv(inputs)


class ScopedOuter(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = ScopedConvBlock(name="inner")

    def build(self, input_shape):
        self.inner.build(input_shape)  # built by hand in build(): still inside "outer"

    def call(self, inputs):
        return self.inner(inputs)


def test_a_sublayer_made_in_init_has_its_weights_under_the_parent_name():
    block = ScopedConvBlock(name="conv_block")
    block(np.ones((1, 5, 5, 1), np.float32))
    assert [w.path for w in block.weights] == ["conv_block/conv2d/kernel", "conv_block/conv2d/bias"]
    outer = ScopedOuter(name="outer")
    outer(np.ones((1, 5, 5, 1), np.float32))
    assert [w.path for w in outer.weights] == ["outer/inner/conv2d/kernel", "outer/inner/conv2d/bias"]
    alone = layers.Conv2D(2, 3, name="alone")
    alone(np.ones((1, 5, 5, 1), np.float32))
    assert alone.kernel.path == "alone/kernel"


def test_model_weight_paths_match_keras():
    class MyModel(mlkit.Model):
        def __init__(self):
            super().__init__(name="my_model")
            self.dense = layers.Dense(2, name="dense")

        def call(self, inputs):
            return self.dense(inputs)

    subclassed = MyModel()
    subclassed(np.ones((1, 3), np.float32))
    assert [w.path for w in subclassed.weights] == ["my_model/dense/kernel", "my_model/dense/bias"]
    sequential = mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(2, name="dd")], name="seq")
    assert [w.path for w in sequential.weights] == ["seq/dd/kernel", "seq/dd/bias"]
    inputs = mlkit.Input(shape=(3,))
    functional = mlkit.Model(inputs, layers.Dense(2, name="fd")(inputs), name="fm")
    assert [w.path for w in functional.weights] == ["fd/kernel", "fd/bias"]
