"""Each optimizer states only its own hyperparameters; the shared arguments reach
`Optimizer` through `**kwargs`. These tests pin what that must not change: the
arguments every optimizer accepts, its config keys and their order, and the
import path of the base class."""

import pytest

from mlkit import optimizers
from mlkit.optimizers.optimizer import Optimizer

BASE_KEYS = [
    "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
    "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
]
OWN_KEYS = {
    optimizers.SGD: ["momentum", "nesterov"],
    optimizers.Adam: ["beta_1", "beta_2", "epsilon", "amsgrad"],
    optimizers.AdamW: ["beta_1", "beta_2", "epsilon", "amsgrad"],
    optimizers.RMSprop: ["rho", "momentum", "epsilon", "centered"],
    optimizers.Adagrad: ["initial_accumulator_value", "epsilon"],
}


@pytest.mark.parametrize("cls", list(OWN_KEYS), ids=lambda cls: cls.__name__)
def test_config_keys_in_order(cls):
    assert list(cls().get_config()) == BASE_KEYS + OWN_KEYS[cls]


@pytest.mark.parametrize("cls", list(OWN_KEYS), ids=lambda cls: cls.__name__)
def test_shared_arguments_reach_the_base(cls):
    optimizer = cls(
        learning_rate=0.5, weight_decay=0.01, clipnorm=1.0, use_ema=True, ema_momentum=0.9,
        ema_overwrite_frequency=3, loss_scale_factor=2.0, gradient_accumulation_steps=2,
    )
    assert isinstance(optimizer, Optimizer)
    config = optimizer.get_config()
    assert config["learning_rate"] == 0.5
    assert (config["weight_decay"], config["clipnorm"], config["ema_momentum"]) == (0.01, 1.0, 0.9)
    assert (config["ema_overwrite_frequency"], config["loss_scale_factor"]) == (3, 2.0)
    assert config["gradient_accumulation_steps"] == 2
    assert type(cls.from_config(config).get_config()) is dict


@pytest.mark.parametrize("cls", list(OWN_KEYS), ids=lambda cls: cls.__name__)
def test_unknown_argument_is_named(cls):
    with pytest.raises(ValueError, match=r"argument\(s\) not recognized: \{'lr': 0.1\}"):
        cls(lr=0.1)


@pytest.mark.parametrize(
    "cls, default_name",
    [(optimizers.SGD, "SGD"), (optimizers.Adam, "adam"), (optimizers.AdamW, "adamw"),
     (optimizers.RMSprop, "rmsprop")],
)
def test_default_names(cls, default_name):
    assert cls().name == default_name


@pytest.mark.parametrize("cls", list(OWN_KEYS), ids=lambda cls: cls.__name__)
def test_the_signature_lists_every_shared_argument_as_keras_does(cls):
    import inspect

    from mlkit.optimizers.arguments import SHARED_ARGUMENTS

    parameters = list(inspect.signature(cls).parameters)
    assert set(SHARED_ARGUMENTS) <= set(parameters)
    assert parameters[-2:] == ["name", "kwargs"]


def test_a_shared_argument_can_be_passed_by_position():
    adam = optimizers.Adam(0.001, 0.9, 0.999, 1e-7, False, 0.01)  # Keras's order: weight_decay sixth
    assert adam.get_config()["weight_decay"] == 0.01
