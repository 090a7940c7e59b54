"""mlkit/grading/layer_helpers.py: the explanation of state created after a layer is built."""

import numpy as np
import pytest

from mlkit import layers
from mlkit.grading.exercise import _hint_for
from mlkit.grading.failure import GradingFailure
from mlkit.grading.layer_helpers import call_layer


class Scale(layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def adapt(self, data):
        self.build(data.shape)

    def call(self, inputs):
        return inputs * self.scale


def raised_by(action):
    with pytest.raises(ValueError, match="after it was built") as caught:
        action()
    return caught.value


def test_build_called_again_from_a_method_names_that_method():
    layer = Scale()
    layer.adapt(np.ones((2, 3)))
    hint = _hint_for(raised_by(lambda: layer.adapt(np.ones((2, 3)))))
    assert hint.startswith("build() ran a second time from adapt()")


def test_build_called_from_call_is_explained_at_the_call():
    class Rebuilds(Scale):
        def call(self, inputs):
            self.build(inputs.shape)
            return inputs * self.scale

    with pytest.raises(GradingFailure) as caught:
        call_layer(Rebuilds(), np.ones((2, 3)), "the first call")
    assert "build() ran a second time from call()" in str(caught.value)


def test_a_sublayer_made_in_call_and_a_weight_made_in_call_get_their_own_hints():
    class NewDense(layers.Layer):
        def call(self, inputs):
            self.dense = layers.Dense(2)
            return self.dense(inputs)

    class NewWeight(layers.Layer):
        def call(self, inputs):
            self.w = self.add_weight(shape=(), name="w")
            return inputs * self.w

    sublayer_hint = _hint_for(raised_by(lambda: NewDense()(np.ones((2, 3)))))
    weight_hint = _hint_for(raised_by(lambda: NewWeight()(np.ones((2, 3)))))
    assert sublayer_hint.startswith("the layers are created again on every call")
    assert weight_hint.startswith("weights are created in call()")
