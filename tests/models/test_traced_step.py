"""compile(jit_compile=True): the traced step trains exactly as the eager step, and
falls back to it whenever what shaped the trace changes."""

import numpy as np
import pytest

import mlkit
from mlkit import layers
from mlkit.models.traced_step import TRACEABLE_LAYERS


def train(make_model, x, y, jit, epochs=2, batch_size=32, seed=3, **compile_arguments):
    mlkit.utils.set_random_seed(seed)
    model = make_model()
    compile_arguments.setdefault("optimizer", "adam")
    if callable(compile_arguments["optimizer"]):  # a fresh optimizer for each run
        compile_arguments["optimizer"] = compile_arguments["optimizer"]()
    model.compile(jit_compile=jit, **compile_arguments)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    return model, history.history


def assert_same_training(make_model, x, y, **arguments):
    """Eager and traced training give the same weights, losses and metrics; the trace was replayed."""
    eager, eager_history = train(make_model, x, y, jit=False, **arguments)
    traced, traced_history = train(make_model, x, y, jit=True, **arguments)
    assert traced.traced_step.reason is None, traced.traced_step.reason
    assert traced.traced_step.replays > 0
    assert set(eager_history) == set(traced_history)
    for name in eager_history:
        np.testing.assert_allclose(traced_history[name], eager_history[name], rtol=1e-5, atol=1e-7)
    for got, expected in zip(traced.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # and training did something
    assert eager_history["loss"][-1] < eager_history["loss"][0]
    return traced


@pytest.fixture(scope="module")
def digits_images():
    (x, y), _ = mlkit.datasets.digits.load_data()
    return (x[:320, ..., None] / 16).astype(np.float32), y[:320].astype(np.int64)


@pytest.fixture(scope="module")
def sequences():
    x, y = mlkit.datasets.synthetic.sequence_task(n_samples=192, timesteps=12, features=5, seed=0)
    return x.astype(np.float32), y


def mlp(activation="relu", last=None):
    return lambda: mlkit.Sequential([
        mlkit.Input(shape=(64,)),
        layers.Dense(32, activation=activation),
        layers.Dense(16, activation="tanh"),
        layers.Dense(10, activation=last),
    ])


def test_mlp_with_logits_equals_eager(digits_flat):
    (x, y), _ = digits_flat
    loss = mlkit.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = assert_same_training(mlp(), x[:400], y[:400], loss=loss, metrics=["accuracy"])
    assert model.traced_step.traces == 2  # one batch shape, and the smaller last batch


def test_mlp_with_softmax_and_sgd_equals_eager(digits_flat):
    (x, y), _ = digits_flat
    assert_same_training(
        mlp("sigmoid", "softmax"), x[:300], y[:300], optimizer=lambda: mlkit.optimizers.SGD(0.1, momentum=0.9),
        loss="sparse_categorical_crossentropy", metrics=["accuracy", "sparse_top_k_categorical_accuracy"],
    )


def test_functional_chain_equals_eager(digits_flat):
    (x, y), _ = digits_flat

    def make():
        inputs = mlkit.Input(shape=(64,))
        hidden = layers.Dense(32, activation="relu")(inputs)
        hidden = layers.Dropout(0.2, seed=2)(hidden)
        return mlkit.Model(inputs, layers.Dense(10, activation="softmax")(hidden))

    assert_same_training(make, x[:256], y[:256], loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def test_a_residual_functional_model_equals_eager(digits_flat):
    (x, y), _ = digits_flat

    def make():
        inputs = mlkit.Input(shape=(64,))
        first = layers.Dense(32, activation="relu")(inputs)
        second = layers.Dense(32, activation="relu")(first)
        beside = layers.Dense(32, activation="relu")(inputs)
        # `first` is read three times: its gradient is the sum of what each reader sends back.
        # Add sends one gradient to all its inputs, and relu steps change theirs in place.
        merged = layers.Add()([first, second, beside, first])
        return mlkit.Model(inputs, layers.Dense(10)(merged))

    loss = mlkit.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert_same_training(make, x[:256], y[:256], loss=loss, metrics=["accuracy"])


def test_functional_models_that_are_no_graph_of_single_calls_run_eagerly(digits_flat):
    (x, y), _ = digits_flat
    shared = layers.Dense(64, activation="relu")
    inputs = mlkit.Input(shape=(64,))
    twice = mlkit.Model(inputs, layers.Dense(10)(shared(shared(inputs))))
    first, second = mlkit.Input(shape=(64,)), mlkit.Input(shape=(64,))
    two_inputs = mlkit.Model([first, second], layers.Dense(10)(layers.Concatenate()([first, second])))
    for model, data, reason in [(twice, x[:64], "called more than once"),
                                (two_inputs, [x[:64], x[:64]], "several inputs or outputs")]:
        model.compile(optimizer="sgd", loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True),
                      jit_compile=True)
        model.fit(data, y[:64], batch_size=32, epochs=1, verbose=0)
        assert model.traced_step.replays == 0
        assert reason in model.traced_step.reason


def test_regression_mlp_with_mse_equals_eager():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)).astype(np.float32)
    y = (x @ rng.normal(size=(6, 3))).astype(np.float32)

    def make():
        return mlkit.Sequential([mlkit.Input(shape=(6,)), layers.Dense(16, activation="relu"), layers.Dense(3)])

    assert_same_training(make, x, y, loss="mse", metrics=["mae"], epochs=3)
    assert_same_training(make, x, y, loss=mlkit.losses.MeanSquaredError(), metrics=["mae"])


def test_dropout_with_seeds_equals_eager(digits_flat):
    (x, y), _ = digits_flat

    def make():
        return mlkit.Sequential([
            mlkit.Input(shape=(64,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.3, seed=5),
            layers.Dense(10),
        ])

    loss = mlkit.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert_same_training(make, x[:256], y[:256], loss=loss, metrics=["accuracy"])


def test_cnn_with_batch_normalization_equals_eager(digits_images):
    x, y = digits_images

    def make():
        return mlkit.Sequential([
            mlkit.Input(shape=(8, 8, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Conv2D(16, 3, padding="valid"),
            layers.Activation("relu"),
            layers.Flatten(),
            layers.Dense(10),
        ])

    loss = mlkit.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = assert_same_training(make, x, y, loss=loss, metrics=["accuracy"], batch_size=64)
    # the moving statistics moved during the replayed steps too
    assert not np.allclose(model.layers[1].moving_mean.numpy(), 0)


@pytest.mark.parametrize("recurrent", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_recurrent_classifier_equals_eager(recurrent, sequences):
    x, y = sequences

    def make():
        return mlkit.Sequential([
            mlkit.Input(shape=x.shape[1:]),
            recurrent(16),
            layers.Dense(int(y.max()) + 1, activation="softmax"),
        ])

    assert_same_training(make, x, y, loss="sparse_categorical_crossentropy", metrics=["accuracy"], epochs=3)


def test_lstm_with_dropout_equals_eager(sequences):
    x, y = sequences

    def make():
        return mlkit.Sequential([
            mlkit.Input(shape=x.shape[1:]),
            layers.LSTM(8, dropout=0.2, recurrent_dropout=0.1, seed=4),
            layers.Dense(int(y.max()) + 1),
        ])

    loss = mlkit.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert_same_training(make, x, y, loss=loss, metrics=["accuracy"], epochs=3)


def test_lstm_regression_with_return_sequences_equals_eager():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 10, 4)).astype(np.float32)
    y = rng.normal(size=(96, 8)).astype(np.float32)

    def make():
        return mlkit.Sequential([
            mlkit.Input(shape=(10, 4)),
            layers.LSTM(12, return_sequences=True),
            layers.GRU(8),
        ])

    assert_same_training(make, x, y, loss="mse", metrics=["mae"], batch_size=16)


class SamplesSeen(mlkit.metrics.Metric):
    """A metric of one's own (not a mean of a function): counts the samples it was shown."""

    def __init__(self, name="samples_seen"):
        super().__init__(name=name)
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen.assign(self.seen + mlkit.ops.cast(mlkit.ops.shape(y_pred)[0], "float32"))

    def result(self):
        return self.seen


def test_metrics_of_every_kind_equal_eager(digits_flat):
    (x, y), _ = digits_flat
    metrics = lambda: ["accuracy", SamplesSeen(), mlkit.metrics.SparseTopKCategoricalAccuracy(k=2)]
    runs = [train(mlp(), x[:200], y[:200], jit, loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=metrics()) for jit in (False, True)]
    (_, eager), (model, traced) = runs
    assert model.traced_step.replays > 0
    assert traced["samples_seen"] == eager["samples_seen"] == [200.0, 200.0]
    for name in eager:
        np.testing.assert_allclose(traced[name], eager[name], rtol=1e-5, atol=1e-7)


class ZeroFirstKernelAtBatch2(mlkit.callbacks.Callback):
    """Assigns a weight in the middle of an epoch, as loading weights does, and keeps the next value."""

    def on_train_batch_end(self, batch, logs=None):
        kernel = self.model.layers[0].kernel
        if batch == 2:
            kernel.assign(np.zeros(kernel.shape, "float32"))
        if batch == 3:
            self.after_one_step = kernel.numpy().copy()


def test_weights_assigned_during_fit_are_trained_from_their_new_value(digits_flat):
    (x, y), _ = digits_flat
    weights = []
    for jit in (False, True):
        model = compiled_mlp(jit)
        callback = ZeroFirstKernelAtBatch2()
        model.fit(x[:192], y[:192], batch_size=32, epochs=1, verbose=0, shuffle=False, callbacks=[callback])
        # one Adam step from zero moves each weight by at most about the learning rate
        step = np.abs(callback.after_one_step)
        assert 0 < step.max() < 0.002
        weights.append(model.get_weights())
    assert model.traced_step.replays > 0
    for traced, eager in zip(weights[1], weights[0], strict=True):
        np.testing.assert_allclose(traced, eager, rtol=1e-5, atol=1e-6)


class PlainSGD(mlkit.optimizers.Optimizer):
    """An optimizer of one's own: its update_step runs per variable, with no packed buffers."""

    def update_step(self, gradient, variable, learning_rate):
        variable.assign(variable - learning_rate * gradient)


def test_an_optimizer_of_your_own_equals_eager(digits_flat):
    (x, y), _ = digits_flat
    model = assert_same_training(
        mlp(), x[:200], y[:200], optimizer=lambda: PlainSGD(learning_rate=0.1),
        loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
    )
    assert all(program.gradient_copies is None for program in model.traced_step.programs.values())


# -- guards -----------------------------------------------------------------------
def compiled_mlp(jit=True):
    mlkit.utils.set_random_seed(0)
    model = mlp()()
    model.compile(optimizer="adam", loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=jit)
    return model


def test_a_new_batch_shape_is_traced_anew_then_replayed(digits_flat):
    (x, y), _ = digits_flat
    model = compiled_mlp()
    model.fit(x[:96], y[:96], batch_size=32, epochs=1, verbose=0)  # 3 batches of 32
    assert (model.traced_step.traces, model.traced_step.replays) == (1, 2)
    model.fit(x[:80], y[:80], batch_size=16, epochs=1, verbose=0)  # 5 batches of 16: a new shape
    assert (model.traced_step.traces, model.traced_step.replays) == (2, 6)
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)  # back to 32: traced already
    assert (model.traced_step.traces, model.traced_step.replays) == (2, 8)


def test_a_layer_frozen_between_fits_is_not_trained_by_the_replay(digits_flat):
    (x, y), _ = digits_flat
    runs = []
    for jit in (False, True):
        model = compiled_mlp(jit)
        model.fit(x[:128], y[:128], batch_size=32, epochs=1, verbose=0, shuffle=False)
        model.layers[0].trainable = False
        frozen = [w.copy() for w in model.layers[0].get_weights()]
        model.fit(x[:128], y[:128], batch_size=32, epochs=2, verbose=0, shuffle=False)
        for before, after in zip(frozen, model.layers[0].get_weights()):
            np.testing.assert_array_equal(before, after)
        runs.append(model.get_weights())
    assert model.traced_step.traces == 2 and model.traced_step.replays == 3 + 7
    for traced, eager in zip(runs[1], runs[0]):
        np.testing.assert_allclose(traced, eager, rtol=1e-5, atol=1e-6)


def test_a_new_optimizer_is_traced_anew(digits_flat):
    (x, y), _ = digits_flat
    model = compiled_mlp()
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    model.optimizer = mlkit.optimizers.SGD(learning_rate=0.0)
    before = model.get_weights()
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    assert model.traced_step.traces == 2
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # learning rate 0: the new optimizer is the one used
    assert int(model.optimizer.iterations.numpy()) == 2


def test_a_new_compile_starts_a_new_trace(digits_flat):
    (x, y), _ = digits_flat
    model = compiled_mlp()
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    first = model.traced_step
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=True)
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    assert model.traced_step is not first and model.traced_step.traces == 1


def test_bad_labels_in_a_replayed_batch_get_the_eager_error(digits_flat):
    (x, y), _ = digits_flat
    model = compiled_mlp()
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    labels = y[:32].copy()
    labels[3] = 10
    with pytest.raises(ValueError, match="class id 10"):
        model.fit(x[:32], labels, batch_size=32, epochs=1, verbose=0)


# -- what is not traced runs eagerly --------------------------------------------------
class CountingDense(layers.Layer):
    calls = 0

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 10))

    def call(self, inputs):
        CountingDense.calls += 1  # a Python side effect
        return mlkit.ops.matmul(inputs, self.kernel)


def test_a_layer_of_your_own_makes_every_step_eager(digits_flat):
    (x, y), _ = digits_flat
    model = mlkit.Sequential([mlkit.Input(shape=(64,)), layers.Dense(16), CountingDense(name="mine")])
    model.compile(optimizer="adam", loss=mlkit.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)
    CountingDense.calls = 0  # building the model called it on symbolic inputs
    model.fit(x[:96], y[:96], batch_size=32, epochs=2, verbose=0)
    assert model.traced_step.replays == 0
    assert "'mine' (CountingDense) has no traced version" in model.traced_step.reason
    assert CountingDense.calls == 6  # its call ran on every batch


def test_sample_weights_and_a_custom_train_step_run_eagerly(digits_flat):
    (x, y), _ = digits_flat
    model = compiled_mlp()
    model.fit(x[:64], y[:64], sample_weight=np.ones(64), batch_size=32, epochs=1, verbose=0)
    assert model.traced_step.replays == 0 and "sample weights" in model.traced_step.reason

    class MyModel(mlkit.Sequential):
        def train_step(self, data):
            return super().train_step(data)

    model = MyModel([mlkit.Input(shape=(64,)), layers.Dense(10)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=True)
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    assert model.traced_step.replays == 0 and "overrides train_step" in model.traced_step.reason


def test_jit_compile_is_off_by_default_and_with_run_eagerly():
    model = mlkit.Sequential([mlkit.Input(shape=(3,)), layers.Dense(1)])
    model.compile(loss="mse")
    assert model.jit_compile is False and model.traced_step is None
    with pytest.warns(UserWarning, match="run_eagerly"):
        model.compile(loss="mse", run_eagerly=True, jit_compile=True)
    assert model.jit_compile is False


# -- every layer a traced step replays (TRACEABLE_LAYERS) ---------------------
# Each sits inside a small classifier, after a trainable layer, so the
# replayed backward pass must carry the gradient through it to reach that
# layer's weights.

CLASSES = 4
VOCABULARY = 20


def flat(layer):
    """Dense -> layer -> Dense, on vectors of 12 features."""
    return [mlkit.Input(shape=(12,)), layers.Dense(16, activation="tanh"), layer, layers.Flatten(), layers.Dense(CLASSES)]


def sequence(layer, pooling=True):
    """Conv1D -> layer -> (pooling) -> Dense, on sequences of 10 steps of 3 features."""
    head = [layers.GlobalAveragePooling1D()] if pooling else [layers.Flatten()]
    return [mlkit.Input(shape=(10, 3)), layers.Conv1D(4, 3, padding="same", activation="tanh"), layer, *head,
            layers.Dense(CLASSES)]


def merged(merge):
    """Two Dense layers, the second reading the first, then `merge` of both -> Dense (a functional model)."""
    inputs = mlkit.Input(shape=(12,))
    first = layers.Dense(8, activation="tanh")(inputs)
    second = layers.Dense(8, activation="sigmoid")(first)
    return mlkit.Model(inputs, layers.Dense(CLASSES)(layers.Flatten()(merge([first, second]))))


def image(*middle):
    """Conv2D -> the middle layers -> Flatten -> Dense, on 6x6 images of 2 channels."""
    return [mlkit.Input(shape=(6, 6, 2)), layers.Conv2D(4, 3, padding="same", activation="tanh"), *middle,
            layers.Flatten(), layers.Dense(CLASSES)]


# One model per traceable layer; where a layer has a hand-written traced step
# (Dense, Conv: the MLP and CNN tests above), the variant here goes through its own call.
MODELS = {
    layers.Dense: lambda: flat(layers.Dense(8, activation="elu")),
    layers.Activation: lambda: flat(layers.Activation("softplus")),
    layers.ReLU: lambda: flat(layers.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.05)),
    layers.Softmax: lambda: flat(layers.Softmax()),
    layers.Flatten: lambda: image(layers.Flatten()),
    layers.Reshape: lambda: flat(layers.Reshape((4, 4))),
    layers.Dropout: lambda: flat(layers.Dropout(0.25, seed=3)),
    layers.BatchNormalization: lambda: flat(layers.BatchNormalization(momentum=0.8)),
    layers.LayerNormalization: lambda: flat(layers.LayerNormalization()),
    layers.Conv1D: lambda: sequence(layers.Conv1D(5, 3, dilation_rate=2, padding="causal", activation="elu")),
    layers.Conv2D: lambda: image(layers.Conv2D(4, 2, groups=2, activation="selu")),
    layers.MaxPooling1D: lambda: sequence(layers.MaxPooling1D(2)),
    layers.MaxPooling2D: lambda: image(layers.MaxPooling2D(2, strides=1, padding="same")),
    layers.AveragePooling1D: lambda: sequence(layers.AveragePooling1D(3, strides=2, padding="same")),
    layers.AveragePooling2D: lambda: image(layers.AveragePooling2D(2)),
    layers.GlobalAveragePooling1D: lambda: sequence(layers.GlobalAveragePooling1D(), pooling=False),
    layers.GlobalAveragePooling2D: lambda: image(layers.GlobalAveragePooling2D()),
    layers.GlobalMaxPooling1D: lambda: sequence(layers.GlobalMaxPooling1D(), pooling=False),
    layers.GlobalMaxPooling2D: lambda: image(layers.GlobalMaxPooling2D()),
    layers.SimpleRNN: lambda: sequence(layers.SimpleRNN(6), pooling=False),
    layers.LSTM: lambda: sequence(layers.LSTM(6, return_sequences=True)),
    layers.GRU: lambda: sequence(layers.GRU(6, reset_after=False), pooling=False),
    layers.ELU: lambda: flat(layers.ELU(alpha=0.5)),
    layers.LeakyReLU: lambda: flat(layers.LeakyReLU(negative_slope=0.2)),
    layers.PReLU: lambda: flat(layers.PReLU(alpha_initializer="random_uniform")),
    layers.Identity: lambda: flat(layers.Identity()),
    layers.Permute: lambda: sequence(layers.Permute((2, 1))),
    layers.RepeatVector: lambda: flat(layers.RepeatVector(3)),
    layers.Cropping2D: lambda: image(layers.Cropping2D(((1, 0), (0, 2)))),
    layers.ZeroPadding2D: lambda: image(layers.ZeroPadding2D((1, 2))),
    layers.UpSampling2D: lambda: image(layers.UpSampling2D(2)),
    layers.GaussianNoise: lambda: flat(layers.GaussianNoise(0.3, seed=1)),
    layers.GaussianDropout: lambda: flat(layers.GaussianDropout(0.1, seed=2)),
    layers.SpatialDropout1D: lambda: sequence(layers.SpatialDropout1D(0.1, seed=3)),
    layers.SpatialDropout2D: lambda: image(layers.SpatialDropout2D(0.3, seed=4)),
    layers.SpatialDropout3D: lambda: image(layers.Reshape((6, 6, 2, 2)), layers.SpatialDropout3D(0.2, seed=5)),
    layers.Conv1DTranspose: lambda: sequence(layers.Conv1DTranspose(3, 3, strides=2, activation="relu")),
    layers.Conv2DTranspose: lambda: image(layers.Conv2DTranspose(3, 2, strides=2, padding="same")),
    layers.DepthwiseConv1D: lambda: sequence(layers.DepthwiseConv1D(3, depth_multiplier=2)),
    layers.DepthwiseConv2D: lambda: image(layers.DepthwiseConv2D(2, activation="tanh")),
    layers.SeparableConv1D: lambda: sequence(layers.SeparableConv1D(5, 3, padding="same")),
    layers.SeparableConv2D: lambda: image(layers.SeparableConv2D(5, 3, depth_multiplier=2)),
    layers.Embedding: lambda: [mlkit.Input(shape=(10,), dtype="int64"), layers.Embedding(VOCABULARY, 4),
                               layers.GlobalAveragePooling1D(), layers.Dense(CLASSES)],
    layers.Add: lambda: merged(layers.Add()),
    layers.Subtract: lambda: merged(layers.Subtract()),
    layers.Multiply: lambda: merged(layers.Multiply()),
    layers.Average: lambda: merged(layers.Average()),
    layers.Maximum: lambda: merged(layers.Maximum()),
    layers.Minimum: lambda: merged(layers.Minimum()),
    layers.Concatenate: lambda: merged(layers.Concatenate()),
    layers.Dot: lambda: merged(layers.Dot(axes=1, normalize=True)),
}

def model_from(made):
    """A list of layers as a Sequential model; a functional model as it is."""
    return made if isinstance(made, mlkit.Model) else mlkit.Sequential(made)


def data_for(model):
    inputs = model.inputs[0]
    shape = (96,) + tuple(inputs.shape[1:])
    rng = np.random.default_rng(0)
    if inputs.dtype.startswith("int"):  # indices, for an Embedding
        x = rng.integers(0, VOCABULARY, size=shape)
    else:
        x = rng.normal(size=shape).astype(np.float32)
    y = rng.integers(0, CLASSES, size=96)
    return x, y


@pytest.mark.parametrize("layer_class", MODELS, ids=lambda layer_class: layer_class.__name__)
def test_traceable_layer_trains_as_eagerly(layer_class):
    def make():
        return model_from(MODELS[layer_class]())

    x, y = data_for(make())
    loss = mlkit.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = assert_same_training(make, x, y, loss=loss, metrics=["accuracy"], epochs=3, batch_size=32)
    assert any(type(layer) is layer_class for layer in model.layers)


def test_every_traceable_layer_has_a_model_here():
    missing = [layer_class.__name__ for layer_class in TRACEABLE_LAYERS if layer_class not in MODELS]
    assert not missing, f"add a model for {missing} to MODELS"


def test_an_embedding_that_masks_zeros_runs_eagerly():
    model = mlkit.Sequential([mlkit.Input(shape=(6,), dtype="int64"), layers.Embedding(10, 4, mask_zero=True),
                              layers.LSTM(3), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    model.fit(np.arange(48).reshape(8, 6) % 10, np.zeros((8, 2)), batch_size=4, epochs=1, verbose=0)
    assert model.traced_step.replays == 0
    assert "mask_zero=True" in model.traced_step.reason
