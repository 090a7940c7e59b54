"""The Optimizer base class: iterations, learning rate, variables, the apply
pipeline (None gradients, clipping, weight decay, constraints), state saving,
configs and errors. SGD (w -= lr * g) keeps the expected numbers simple."""

import doctest
import importlib
import json
import pkgutil
import warnings

import numpy as np
import pytest

import mlkit
import mlkit.optimizers
from mlkit import constraints, ops
from mlkit import optimizers


def variable(value, name="w", dtype="float64", path=None, **kwargs):
    v = mlkit.Variable(np.array(value, dtype=dtype), name=name, **kwargs)
    if path:
        v.path = path
    return v


# -- iterations ---------------------------------------------------------------


def test_iterations_is_an_int64_non_trainable_variable_counting_steps():
    w = variable([1.0, 2.0])
    optimizer = optimizers.SGD(learning_rate=0.5)
    assert isinstance(optimizer.iterations, mlkit.Variable)
    assert optimizer.iterations.dtype == "int64" and not optimizer.iterations.trainable
    assert optimizer.iterations.path == "SGD/iteration"
    for step in range(1, 4):
        returned = optimizer.apply_gradients([(np.ones(2), w)])
        assert returned is optimizer.iterations
        assert int(optimizer.iterations) == step
    np.testing.assert_allclose(w.numpy(), [1.0 - 1.5, 2.0 - 1.5])
    # Read the way a layer reads it (seed 000): a tensor one past the count.
    assert int(optimizer.iterations + 1) == 4


def test_iterations_are_kept_by_the_optimizer_across_calls_with_apply():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.apply([np.ones(1)], [w])
    optimizer.apply([np.ones(1)])  # built: the variables may be left out
    assert int(optimizer.iterations) == 2
    np.testing.assert_allclose(w.numpy(), [-0.2])


# -- learning rate ---------------------------------------------------------------


def test_float_learning_rate_lives_in_a_variable_and_is_assignable():
    optimizer = optimizers.Adam(learning_rate=0.01)
    rate = optimizer.learning_rate
    assert isinstance(rate, mlkit.Variable) and rate.dtype == "float32"
    assert optimizer.variables[1] is rate and rate.path == "adam/learning_rate"
    assert float(rate) == pytest.approx(0.01)
    optimizer.learning_rate = 0.5  # what learning-rate callbacks do
    assert float(optimizer.learning_rate) == 0.5
    assert optimizer.variables[1] is rate
    optimizer.learning_rate = 2  # the setter takes any number, as in Keras
    assert float(optimizer.learning_rate) == 2.0


def test_new_learning_rate_is_used_by_the_next_step():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.apply_gradients([(np.ones(1), w)])
    optimizer.learning_rate = 1.0
    optimizer.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [-1.1], rtol=1e-6)


def test_schedule_drives_the_learning_rate_by_iterations():
    schedule = optimizers.schedules.PiecewiseConstantDecay(boundaries=[2], values=[1.0, 0.125])
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=schedule)
    assert len(optimizer.variables) == 1  # no learning-rate variable with a schedule
    expected, value = [], 0.0
    for step in range(5):
        rate = 1.0 if step <= 2 else 0.125
        assert float(optimizer.learning_rate) == rate
        optimizer.apply_gradients([(np.ones(1), w)])
        value -= rate
        expected.append(value)
        assert w.numpy()[0] == pytest.approx(value)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.1


def test_exponential_decay_schedule_from_seed_004():
    schedule = optimizers.schedules.ExponentialDecay(0.001, decay_steps=10000, decay_rate=0.96, staircase=True)
    optimizer = optimizers.Adam(learning_rate=schedule)
    optimizer.iterations.assign(25000)
    assert float(optimizer.learning_rate) == pytest.approx(0.001 * 0.96**2, rel=1e-6)


def test_assigning_a_schedule_replaces_the_learning_rate_variable():
    optimizer = optimizers.SGD(learning_rate=0.1)
    assert len(optimizer.variables) == 2
    optimizer.learning_rate = optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0)
    assert [v.path for v in optimizer.variables] == ["SGD/iteration"]
    assert float(optimizer.learning_rate) == 1.0


def test_callable_learning_rate():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=lambda: 0.25)
    optimizer.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [-0.25])


@pytest.mark.parametrize("bad", [-0.1, float("nan")])
def test_negative_learning_rate_is_refused(bad):
    with pytest.raises(ValueError, match=r"SGD 'SGD'.*learning rate must be >= 0"):
        optimizers.SGD(learning_rate=bad)
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="learning rate must be >= 0"):
        optimizer.learning_rate = bad


def test_integer_learning_rate_is_refused_like_keras_with_a_hint():
    with pytest.raises(ValueError, match=r"should be a float.*Write 1\.0"):
        optimizers.SGD(learning_rate=1)
    with pytest.raises(ValueError, match="should be a float"):
        optimizers.Adam(learning_rate="fast")


def test_schedule_going_negative_is_caught_at_the_step():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=optimizers.schedules.PolynomialDecay(0.1, 10, end_learning_rate=-1.0))
    optimizer.iterations.assign(10)
    with pytest.raises(ValueError, match=r"learning rate is -1\.0 at iteration 10"):
        optimizer.apply_gradients([(np.ones(1), w)])


# -- variables ------------------------------------------------------------------


def test_variables_order_and_names():
    kernel = variable(np.ones((2, 3)), name="kernel", path="dense/kernel")
    bias = variable(np.zeros(3), name="bias", path="dense/bias")
    optimizer = optimizers.Adam(amsgrad=True)
    optimizer.build([kernel, bias])
    assert [v.path for v in optimizer.variables] == [
        "adam/iteration",
        "adam/learning_rate",
        "adam/dense_kernel_momentum",  # in pairs per variable, as Keras creates (and saves) them
        "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum",
        "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat",
        "adam/dense_bias_velocity_hat",
    ]
    assert optimizer.variables[2].name == "dense_kernel_momentum"
    assert [v.shape for v in optimizer.variables[2:]] == [(2, 3), (2, 3), (3,), (3,), (2, 3), (3,)]
    assert all(not v.trainable for v in optimizer.variables)
    optimizer.build([kernel])  # building twice does nothing
    assert len(optimizer.variables) == 8


def test_default_names_follow_keras():
    mlkit.backend.clear_session()
    assert optimizers.SGD().name == "SGD"
    assert optimizers.Adam().name == "adam"
    assert optimizers.AdamW().name == "adamw"
    assert optimizers.RMSprop().name == "rmsprop"
    assert optimizers.Adagrad().name == "adagrad"
    assert optimizers.Adagrad().name == "adagrad_1"
    assert optimizers.Adam(name="mine").name == "mine"


def test_base_state_is_listed_before_the_slots():
    w = variable([1.0], path="dense/w")
    optimizer = optimizers.SGD(momentum=0.5, use_ema=True, gradient_accumulation_steps=2)
    optimizer.build([w])
    assert [v.path for v in optimizer.variables] == [
        "SGD/iteration",
        "SGD/learning_rate",
        "SGD/dense_w_average",
        "SGD/dense_w_gradient_accumulator",
        "SGD/dense_w_momentum",
    ]


# -- None gradients, subsets ------------------------------------------------------


def test_none_gradients_are_skipped_with_a_warning():
    a, b = variable([1.0], name="a"), variable([1.0], name="b")
    optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.5)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b'\]") as caught:
        optimizer.apply_gradients([(np.ones(1), a), (None, b)])
    message = str(caught[0].message)
    # The likely cause is named; no question about a missing `loss` argument (one was given).
    assert "never used in call()" in message and "forget to provide a `loss`" not in message
    np.testing.assert_allclose(a.numpy(), [0.5])
    np.testing.assert_allclose(b.numpy(), [1.0])
    np.testing.assert_allclose(optimizer.momentums[1].numpy(), [0.0])
    assert int(optimizer.iterations) == 1
    with pytest.raises(ValueError, match="no gradients provided for any variable"):
        optimizer.apply_gradients([(None, a), (None, b)])


def test_subset_and_full_steps_share_one_state(make_variables, gradient_steps):
    """Steps on a subset (per-variable path) and on all variables (flat path)
    must give what per-variable NumPy math gives."""
    variables = make_variables()
    expected = [v.numpy() for v in variables]
    momentum = [np.zeros_like(e) for e in expected]
    optimizer = optimizers.SGD(learning_rate=0.125, momentum=0.9)
    for step, grads in enumerate(gradient_steps(6)):
        chosen = [0, 1, 2] if step % 2 == 0 else [2, 0]
        optimizer.apply([grads[i] for i in chosen], [variables[i] for i in chosen])
        for i in chosen:
            momentum[i] = 0.9 * momentum[i] - 0.125 * grads[i]
            expected[i] = expected[i] + momentum[i]
        for v, e in zip(variables, expected):
            np.testing.assert_allclose(v.numpy(), e, rtol=1e-12)


def test_a_reassigned_variable_is_updated_from_its_new_value():
    w = variable([1.0, 1.0])
    optimizer = optimizers.SGD(learning_rate=0.5)
    optimizer.apply_gradients([(np.ones(2), w)])
    w.assign([10.0, 20.0])  # e.g. weights loaded from a file between steps
    optimizer.apply_gradients([(np.ones(2), w)])
    np.testing.assert_allclose(w.numpy(), [9.5, 19.5])
    optimizer.apply_gradients([(np.ones(2), w)])
    np.testing.assert_allclose(w.numpy(), [9.0, 19.0])


def test_gradients_may_be_tensors_arrays_or_lists():
    w = variable([0.0, 0.0], dtype="float32")
    optimizer = optimizers.SGD(learning_rate=1.0)
    optimizer.apply_gradients([(ops.convert_to_tensor([1.0, 2.0]), w)])
    optimizer.apply_gradients([(np.array([1.0, 2.0], dtype="float64"), w)])
    optimizer.apply_gradients([([1, 2], w)])
    assert w.dtype == "float32"
    np.testing.assert_allclose(w.numpy(), [-3.0, -6.0])


# -- clipping ------------------------------------------------------------------


def run_one_sgd_step(grads, **kwargs):
    variables = [variable(np.zeros(np.shape(g)), name=f"v{i}") for i, g in enumerate(grads)]
    optimizers.SGD(learning_rate=1.0, **kwargs).apply_gradients(zip(grads, variables))
    return [-v.numpy() for v in variables]  # the gradients actually applied


def test_clipnorm_rescales_each_gradient_to_at_most_the_norm():
    g1, g2 = np.array([3.0, 4.0]), np.array([0.3, 0.4])  # norms 5 and 0.5
    applied = run_one_sgd_step([g1, g2], clipnorm=1.0)
    np.testing.assert_allclose(applied[0], g1 * 1.0 / 5.0)
    np.testing.assert_allclose(applied[1], g2)


def test_clipvalue_clips_every_entry():
    g = np.array([[-3.0, 0.2], [0.7, 5.0]])
    applied = run_one_sgd_step([g], clipvalue=0.5)
    np.testing.assert_allclose(applied[0], [[-0.5, 0.2], [0.5, 0.5]])


def test_global_clipnorm_rescales_all_gradients_together():
    g1, g2 = np.array([3.0, 0.0]), np.array([[0.0], [4.0]])  # global norm 5
    applied = run_one_sgd_step([g1, g2], global_clipnorm=2.0)
    np.testing.assert_allclose(applied[0], g1 * 2.0 / 5.0)
    np.testing.assert_allclose(applied[1], g2 * 2.0 / 5.0)
    small = run_one_sgd_step([g1, g2], global_clipnorm=10.0)
    np.testing.assert_allclose(small[0], g1)


def test_clipping_does_not_change_the_callers_gradients():
    g = np.array([3.0, 4.0])
    tensor = ops.convert_to_tensor(g.copy())
    run_one_sgd_step([tensor], clipnorm=1.0)
    np.testing.assert_array_equal(tensor.numpy(), g)


def test_clipping_then_adam_matches_the_formula():
    g = np.array([3.0, 4.0])
    w = variable([0.0, 0.0])
    optimizers.Adam(learning_rate=0.125, clipnorm=1.0).apply_gradients([(g, w)])
    clipped = g / 5.0
    m, v = 0.1 * clipped, 0.001 * clipped**2
    alpha = 0.125 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(w.numpy(), -alpha * m / (np.sqrt(v) + 1e-7), rtol=1e-12)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="(?i)only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="`clipnorm` must be a positive number"):
        optimizers.Adam(clipnorm=-1.0)


# -- weight decay ------------------------------------------------------------------


def test_weight_decay_shrinks_weights_by_rate_times_learning_rate():
    w = variable([2.0, -4.0])
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.1)
    optimizer.apply_gradients([(np.array([1.0, 1.0]), w)])
    # decay first (w - w * 0.1 * 0.5), then the gradient step
    np.testing.assert_allclose(w.numpy(), np.array([2.0, -4.0]) * 0.95 - 0.5)


def test_exclude_from_weight_decay_by_name_or_variable():
    kernel, bias, other = variable([1.0], name="kernel"), variable([1.0], name="bias"), variable([1.0], name="o")
    optimizer = optimizers.SGD(learning_rate=1.0, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    optimizer.apply_gradients([(np.zeros(1), v) for v in (kernel, bias, other)])
    assert [float(v.numpy()[0]) for v in (kernel, bias, other)] == [0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


# -- constraints -----------------------------------------------------------------


def test_constraints_are_applied_after_the_update():
    w = variable([0.5, 2.0], constraint=constraints.NonNeg())
    optimizers.SGD(learning_rate=1.0).apply_gradients([(np.array([1.0, 1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.0, 1.0])  # -0.5 clipped to 0 after the step

    kernel = variable([[3.0], [4.0]], constraint=constraints.MaxNorm(1.0))
    optimizers.SGD(learning_rate=1.0).apply_gradients([(np.zeros((2, 1)), kernel)])
    np.testing.assert_allclose(kernel.numpy(), [[0.6], [0.8]], rtol=1e-6)


# -- loss scaling, accumulation, EMA ------------------------------------------------


def test_loss_scale_factor_divides_the_gradients():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert float(optimizer.scale_loss(ops.convert_to_tensor(2.0))) == 8.0
    optimizer.apply_gradients([(np.array([8.0]), w)])
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    for gradient, expected in [(1.0, 0.0), (2.0, 0.0), (6.0, -3.0), (3.0, -3.0)]:
        optimizer.apply_gradients([(np.array([gradient]), w)])
        np.testing.assert_allclose(w.numpy(), [expected])
    assert int(optimizer._iterations) == 4
    assert int(optimizer.iterations) == 1  # counts real updates
    with pytest.raises(ValueError, match="must be an integer >= 2"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_exponential_moving_average_of_the_weights():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    average = None
    for step in range(3):
        optimizer.apply_gradients([(np.array([-1.0]), w)])  # w = 1, 2, 3
        value = step + 1.0
        average = value if average is None else 0.5 * average + 0.5 * value
        np.testing.assert_allclose(optimizer._model_variables_moving_average[0].numpy(), [average])
    optimizer.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [average])


def test_ema_overwrite_frequency_copies_the_averages_into_the_weights():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    optimizer.apply_gradients([(np.array([-1.0]), w)])  # w = 1, average = 1
    optimizer.apply_gradients([(np.array([-1.0]), w)])  # w = 2, average = 1.5, overwrite
    np.testing.assert_allclose(w.numpy(), [1.5])


# -- saving state -------------------------------------------------------------------


def test_save_and_load_own_variables_restore_the_state(make_variables, gradient_steps):
    steps = gradient_steps(4)
    variables = make_variables()
    start = [v.numpy() for v in variables]
    first = optimizers.Adam(learning_rate=0.1)
    for grads in steps[:2]:
        first.apply_gradients(zip(grads, variables))
    store = {}
    first.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(len(first.variables))]
    middle = [v.numpy() for v in variables]
    for grads in steps[2:]:
        first.apply_gradients(zip(grads, variables))
    final = [v.numpy() for v in variables]

    for v, value in zip(variables, middle):
        v.assign(value)
    second = optimizers.Adam(learning_rate=0.1)
    second.build(variables)
    second.load_own_variables(store)
    assert int(second.iterations) == 2
    for grads in steps[2:]:
        second.apply_gradients(zip(grads, variables))
    for v, value in zip(variables, final):
        np.testing.assert_allclose(v.numpy(), value, rtol=1e-12)
    assert not np.allclose(final[0], start[0])


def test_set_weights_checks_shapes_and_loading_an_unbuilt_optimizer_warns():
    w = variable([1.0, 2.0])
    optimizer = optimizers.SGD(momentum=0.5)
    with pytest.raises(ValueError, match="not yet been built"):
        optimizer.set_weights([])
    optimizer.build([w])
    optimizer.set_weights([np.array(3), np.array(0.5, "float32"), np.array([1.0, 1.0])])
    assert int(optimizer.iterations) == 3
    with pytest.raises(ValueError, match="not compatible with provided weight shape"):
        optimizer.set_weights([np.array(3), np.array(0.5), np.array([1.0])])
    with pytest.warns(UserWarning, match="has not been called/built yet"):
        optimizers.SGD(momentum=0.5).load_own_variables({"0": 0, "1": 0, "2": 0})


# -- configs and get ------------------------------------------------------------------


BASE_KEYS = [
    "name",
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "global_clipnorm",
    "clipvalue",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
]


@pytest.mark.parametrize(
    "cls, extra",
    [
        (optimizers.SGD, ["momentum", "nesterov"]),
        (optimizers.Adam, ["beta_1", "beta_2", "epsilon", "amsgrad"]),
        (optimizers.AdamW, ["beta_1", "beta_2", "epsilon", "amsgrad"]),
        (optimizers.RMSprop, ["rho", "momentum", "epsilon", "centered"]),
        (optimizers.Adagrad, ["initial_accumulator_value", "epsilon"]),
    ],
)
def test_config_keys_and_round_trip(cls, extra):
    optimizer = cls(learning_rate=0.25, clipvalue=2.0)
    config = optimizer.get_config()
    assert list(config) == BASE_KEYS + extra
    assert config["learning_rate"] == 0.25 and config["clipvalue"] == 2.0
    json.dumps(config)
    clone = cls.from_config(config)
    assert type(clone) is cls and clone.get_config() == config


def test_schedule_is_serialized_inside_the_config():
    schedule = optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10)
    optimizer = optimizers.Adam(learning_rate=schedule)
    config = optimizers.serialize(optimizer)
    assert config["module"] == "keras.optimizers" and config["class_name"] == "Adam"
    inner = config["config"]["learning_rate"]
    assert inner["class_name"] == "CosineDecay" and inner["config"]["warmup_target"] == 0.2
    clone = optimizers.deserialize(json.loads(json.dumps(config)))
    assert isinstance(clone._learning_rate, optimizers.schedules.CosineDecay)
    assert clone._learning_rate.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    "identifier, cls",
    [("sgd", optimizers.SGD), ("adam", optimizers.Adam), ("adamw", optimizers.AdamW), ("rmsprop", optimizers.RMSprop),
     ("adagrad", optimizers.Adagrad), ("Adam", optimizers.Adam), ("SGD", optimizers.SGD), ("RMSprop", optimizers.RMSprop)],
)
def test_get_by_name(identifier, cls):
    optimizer = optimizers.get(identifier)
    assert type(optimizer) is cls
    assert optimizer.get_config()["learning_rate"] == pytest.approx(cls().get_config()["learning_rate"])


def test_get_with_configs_objects_and_none():
    adam = optimizers.Adam(learning_rate=0.5)
    assert optimizers.get(adam) is adam
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "adam", "config": {"learning_rate": 0.5}})
    assert isinstance(from_dict, optimizers.Adam) and float(from_dict.learning_rate) == 0.5
    assert isinstance(optimizers.get(optimizers.serialize(optimizers.RMSprop(rho=0.5))), optimizers.RMSprop)


def test_get_errors_are_clear():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'\. Use one of: adagrad, adam, adamw, rmsprop, sgd"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match=r"Pass an instance, e\.g\. Adam\(\)"):
        optimizers.get(optimizers.Adam)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    with pytest.raises(TypeError, match="Could not locate class 'Nope'"):
        optimizers.deserialize({"class_name": "Nope", "config": {}})


def test_registered_custom_optimizer_round_trips():
    @mlkit.saving.register_keras_serializable(package="Tests")
    class HalfSGD(optimizers.SGD):
        pass

    config = optimizers.serialize(HalfSGD(learning_rate=0.5))
    assert config["registered_name"] == "Tests>HalfSGD"
    assert type(optimizers.deserialize(config)) is HalfSGD


# -- errors ---------------------------------------------------------------------


def test_different_numbers_of_gradients_and_variables():
    a, b = variable([1.0], name="a"), variable([1.0], name="b")
    optimizer = optimizers.Adam(name="opt")
    with pytest.raises(ValueError, match=r"Adam 'opt': received 1 gradients for 2 variables"):
        optimizer.apply([np.ones(1)], [a, b])
    optimizer.build([a, b])
    with pytest.raises(ValueError, match="received 3 gradients for 2 variables"):
        optimizer.apply([np.ones(1)] * 3)


def test_gradient_of_the_wrong_shape_names_the_variable():
    kernel = variable(np.ones((2, 3)), path="dense/kernel")
    bias = variable(np.ones(3), path="dense/bias")
    optimizer = optimizers.Adam()
    message = r"Adam 'adam': the gradient for variable 'dense/kernel' has shape \(3, 2\), but the variable has shape \(2, 3\)"
    with pytest.raises(ValueError, match=message):
        optimizer.apply_gradients([(np.ones((3, 2)), kernel), (np.ones(3), bias)])
    optimizer.apply_gradients([(np.ones((2, 3)), kernel), (np.ones(3), bias)])
    with pytest.raises(ValueError, match="'dense/bias' has shape \\(1,\\)"):  # flat path
        optimizer.apply_gradients([(np.ones((2, 3)), kernel), (np.ones(1), bias)])
    with pytest.raises(ValueError, match="'dense/bias' has shape \\(1,\\)"):  # per-variable path
        optimizer.apply_gradients([(np.ones(1), bias)])


def test_swapped_pairs_get_a_hint():
    w = variable([1.0])
    with pytest.raises(TypeError, match=r"swapped: write zip\(gradients, variables\)"):
        optimizers.SGD().apply_gradients(zip([w], [np.ones(1)]))
    with pytest.raises(TypeError, match=r"expects \(gradient, variable\) pairs"):
        optimizers.SGD().apply_gradients([np.ones(1), w])


def test_unknown_variable_and_unbuilt_apply():
    a, b = variable([1.0], name="a"), variable([1.0], name="b", path="other/b")
    optimizer = optimizers.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([np.ones(1)])
    optimizer.apply_gradients([(np.ones(1), a)])
    with pytest.raises(ValueError, match=r"Unknown variable: 'other/b'.*create a new optimizer"):
        optimizer.apply_gradients([(np.ones(1), b)])
    with pytest.raises(ValueError, match="appears twice"):
        optimizers.SGD().build([a, a])


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"not recognized.*Use `learning_rate=`"):
        optimizers.SGD(lr=0.1)
    with pytest.raises(ValueError, match=r"`momentum` must be a float between \[0, 1\]"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="`beta_1` must be a float in"):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="`weight_decay` must be a float"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="`weight_decay` must be a number >= 0"):
        optimizers.SGD(weight_decay=-1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        optimizers.Adagrad(initial_accumulator_value=-1.0)
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)


# -- writing your own optimizer ------------------------------------------------------


def test_a_custom_optimizer_written_against_the_keras_api():
    class MomentumSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, momentum=0.5, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)
            self.momentum = momentum

        def build(self, variables):
            super().build(variables)
            self.velocities = [self.add_variable_from_reference(v, name="velocity") for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            learning_rate = ops.cast(learning_rate, variable.dtype)
            velocity = self.velocities[self._get_variable_index(variable)]
            self.assign(velocity, velocity * self.momentum - gradient * learning_rate)
            self.assign_add(variable, velocity)

    w = variable([1.0, 2.0], constraint=constraints.NonNeg())
    optimizer = MomentumSGD()
    for _ in range(3):
        optimizer.apply_gradients([(np.array([1.0, 1.0]), w)])
    # velocity: -0.1, -0.15, -0.175
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.425, 2.0 - 0.425], rtol=1e-6)
    assert int(optimizer.iterations) == 3
    assert [v.path for v in optimizer.variables][-1] == "momentum_sgd/w_velocity"


def test_forgetting_super_init_is_explained():
    class Broken(optimizers.Optimizer):
        def __init__(self):
            self.rate = 0.1

    with pytest.raises(RuntimeError, match=r"forgot to call `super\(\).__init__"):
        Broken().apply_gradients([(np.ones(1), variable([1.0]))])


def test_base_update_step_must_be_overridden():
    with pytest.raises(NotImplementedError, match="must override `update_step"):
        optimizers.Optimizer(learning_rate=0.1).apply_gradients([(np.ones(1), variable([1.0]))])


# -- docstrings --------------------------------------------------------------------


def test_docstring_examples_run():
    package = importlib.import_module("mlkit.optimizers")
    names = [package.__name__] + [
        info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    ]
    failed = 0
    for name in names:
        result = doctest.testmod(importlib.import_module(name))
        failed += result.failed
    assert failed == 0


def test_fit_warns_when_the_model_has_nothing_to_train():
    # Weights kept as NumPy arrays are constants: Keras warns, and so does mlkit.
    class NumpyWeights(mlkit.Model):
        def __init__(self):
            super().__init__()
            self.kernel = np.ones((3, 1), "float32")

        def call(self, inputs):
            return ops.matmul(inputs, self.kernel)

    model = NumpyWeights()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="The model does not have any trainable weights") as caught:
        model.fit(np.ones((4, 3), "float32"), np.zeros((4, 1), "float32"), verbose=0)
    assert "self.add_weight" in str(caught[0].message)
    np.testing.assert_array_equal(model.kernel, 1.0)
