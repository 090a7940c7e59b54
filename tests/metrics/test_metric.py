"""Tests for mlkit/metrics/metric.py: the `Metric` base class contract."""

import doctest

import numpy as np
import pytest

from mlkit import GradientTape, Variable, ops
from mlkit.metrics import metric as metric_module
from mlkit.metrics.metric import Metric
from mlkit.metrics.reduction_metrics import Mean


class BinaryTruePositives(Metric):
    """The subclassing example of the Keras docs, written with mlkit.ops."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "bool")
        y_pred = ops.cast(y_pred, "bool")
        values = ops.cast(ops.logical_and(y_true, y_pred), self.dtype)
        if sample_weight is not None:
            values = values * ops.cast(sample_weight, self.dtype)
        self.true_positives.assign(self.true_positives + ops.sum(values))

    def result(self):
        return self.true_positives


def test_subclass_updates_accumulates_and_resets():
    metric = BinaryTruePositives()
    metric.update_state([1, 1, 0, 1], [1, 0, 1, 1])
    assert float(metric.result()) == 2.0
    assert float(metric([1, 1], [1, 1], sample_weight=[0.5, 0.25])) == pytest.approx(2.75)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_add_variable_makes_tracked_non_trainable_state():
    metric = BinaryTruePositives(dtype="float64")
    (variable,) = metric.variables
    assert variable is metric.true_positives
    assert not variable.trainable and variable.dtype == "float32"  # add_variable's own default dtype
    assert variable.path == "binary_true_positives/true_positives"
    assert variable.aggregation == "sum"
    assert metric.dtype == "float64"


def test_variables_and_metrics_assigned_as_attributes_are_tracked():
    class Composite(Metric):
        def __init__(self):
            super().__init__(name="composite")
            self.inner = Mean(name="inner")
            self.extra = Variable(np.zeros(2), trainable=False, name="extra")
            self.extra = self.extra  # assigning again does not track twice

        def update_state(self, values):
            self.inner.update_state(values)

        def result(self):
            return self.inner.result()

    metric = Composite()
    assert [v.name for v in metric.variables] == ["extra", "total", "count"]
    metric.update_state([2.0, 4.0])
    metric.reset_state()
    assert float(metric.inner.count.numpy()) == 0.0


def test_metrics_never_record_gradients():
    w = Variable(np.array([1.0, 2.0]))
    metric = BinaryTruePositives()
    mean = Mean()
    with GradientTape() as tape:
        loss = ops.sum(w * w)
        metric.update_state(w, w)
        result = mean(w * 3.0)  # the argument is recorded, the metric's work is not
    assert not result.requires_grad and not metric.result().requires_grad
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), [2.0, 4.0])


def test_forgetting_super_init_is_explained():
    class Forgetful(Metric):
        def __init__(self):
            self.total = 0

        def update_state(self, values):
            pass

        def result(self):
            return 0

    with pytest.raises(RuntimeError, match="super"):
        Forgetful()([1.0])


def test_base_methods_must_be_implemented():
    with pytest.raises(NotImplementedError, match="update_state"):
        Metric().update_state(1)
    with pytest.raises(NotImplementedError, match="result"):
        Metric().result()


def test_default_name_dtype_and_config_round_trip():
    metric = BinaryTruePositives(name="tp", dtype="float64")
    assert metric.get_config() == {"name": "tp", "dtype": "float64"}
    clone = BinaryTruePositives.from_config(metric.get_config())
    assert (clone.name, clone.dtype) == ("tp", "float64")
    assert Metric().name.startswith("metric") and Metric().dtype == "float32"
    assert repr(clone) == "<BinaryTruePositives name=tp>"


def test_add_weight_alias_defaults_to_zeros():
    class WithWeight(Metric):
        def __init__(self):
            super().__init__()
            self.state = self.add_weight(shape=(3,), name="state")

    np.testing.assert_array_equal(WithWeight().state.numpy(), np.zeros(3))


def test_doctests():
    result = doctest.testmod(metric_module)
    assert result.attempted > 0 and result.failed == 0
