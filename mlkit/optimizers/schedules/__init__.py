"""`mlkit.optimizers.schedules`: learning rates that change with the step.

Pass a schedule as an optimizer's `learning_rate`; the optimizer evaluates
it at its `iterations` count before every step.

    >>> from mlkit import optimizers
    >>> schedule = optimizers.schedules.ExponentialDecay(
    ...     0.001, decay_steps=10000, decay_rate=0.96, staircase=True)
    >>> optimizer = optimizers.Adam(learning_rate=schedule)
    >>> round(float(optimizer.learning_rate), 6)      # at iterations = 0
    0.001
    >>> optimizers.schedules.serialize(schedule)["class_name"]
    'ExponentialDecay'
"""

from mlkit.optimizers.schedules.cosine_decay import CosineDecay
from mlkit.optimizers.schedules.cosine_decay_restarts import CosineDecayRestarts
from mlkit.optimizers.schedules.exponential_decay import ExponentialDecay
from mlkit.optimizers.schedules.inverse_time_decay import InverseTimeDecay
from mlkit.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from mlkit.optimizers.schedules.piecewise_constant_decay import PiecewiseConstantDecay
from mlkit.optimizers.schedules.polynomial_decay import PolynomialDecay

_CLASSES = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule):
    """The schedule as a JSON-able dict: {"module", "class_name", "config", "registered_name"}."""
    from mlkit.saving import serialize_keras_object

    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """The schedule a `serialize()` dict describes (custom classes via `custom_objects`)."""
    from mlkit.saving import deserialize_keras_object

    return deserialize_keras_object(
        config, module_objects=_CLASSES, custom_objects=custom_objects, printable_module_name="decay"
    )
