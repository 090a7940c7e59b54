"""The schedule base class, custom schedules, and serialize/deserialize."""

import json

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import ops, optimizers
from mlkit.optimizers import schedules

ALL = [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.1),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_round_trip_gives_the_same_rates(schedule):
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    assert config["class_name"] == type(schedule).__name__
    clone = schedules.deserialize(json.loads(json.dumps(config)))
    assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
    steps = np.arange(0, 200, 7)
    np.testing.assert_array_equal(clone(steps).numpy(), schedule(steps).numpy())
    assert type(schedule).from_config(schedule.get_config()).get_config() == schedule.get_config()


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_rates_are_float32_tensors_and_accept_iterations_ints_and_arrays(schedule):
    optimizer = optimizers.SGD(learning_rate=schedule)
    optimizer.iterations.assign(13)
    from_variable = schedule(optimizer.iterations)
    assert isinstance(from_variable, mlkit.ops.Tensor) and from_variable.dtype == "float32"
    assert float(from_variable) == float(schedule(13)) == float(optimizer.learning_rate)
    batch = schedule(np.array([0, 13, 50]))
    assert batch.shape == (3,) and float(batch.numpy()[1]) == float(from_variable)


def test_custom_schedule_drives_an_optimizer_and_is_saved_when_registered():
    @mlkit.saving.register_keras_serializable(package="Tests")
    class StepHalving(schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate, every):
            self.initial_learning_rate = initial_learning_rate
            self.every = every

        def __call__(self, step):
            return self.initial_learning_rate * 0.5 ** ops.floor(step / self.every)

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate, "every": self.every}

    w = mlkit.Variable(np.array([0.0]), name="w")
    optimizer = optimizers.SGD(learning_rate=StepHalving(1.0, 2))
    for _ in range(5):
        optimizer.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [-(1 + 1 + 0.5 + 0.5 + 0.25)])
    clone = optimizers.deserialize(optimizers.serialize(optimizer))
    assert isinstance(clone._learning_rate, StepHalving) and clone._learning_rate.every == 2


def test_base_class_says_what_to_override():
    with pytest.raises(NotImplementedError, match=r"must override `__call__\(self, step\)`"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedules.LearningRateSchedule().get_config()


def test_unknown_schedule_name_is_a_clear_error():
    with pytest.raises(TypeError, match="Could not locate class 'Nope' \\(decay\\)"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


@pytest.mark.parametrize(
    "make",
    [
        lambda: schedules.ExponentialDecay(0.1, 0, 0.5),
        lambda: schedules.InverseTimeDecay(0.1, -1, 0.5),
        lambda: schedules.PolynomialDecay(0.1, 0),
        lambda: schedules.CosineDecay(0.1, 0),
        lambda: schedules.CosineDecayRestarts(0.1, 0),
    ],
)
def test_non_positive_decay_steps_are_refused(make):
    with pytest.raises(ValueError, match=r"must be > 0\. Received: (first_)?decay_steps="):
        make()


def test_a_schedule_may_floor_divide_the_step_tensor():
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.iterations.assign(25)
    assert int(optimizer.iterations // 10) == 2
