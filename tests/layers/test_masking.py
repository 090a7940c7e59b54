"""Masks as Keras passes them: Masking, Embedding(mask_zero=True), Layer.__call__, RNNs, losses."""

import numpy as np
import pytest

import mlkit
from mlkit import layers, ops

TOKENS = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])  # 0 is padding
KEEP = TOKENS != 0


class MaskSpy(layers.Layer):
    """Records the mask its call() receives; passes its input on unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.received = []

    def call(self, inputs, mask=None):
        self.received.append(None if mask is None else ops.convert_to_numpy(mask))
        return inputs


def test_masking_layer_zeroes_padding_steps_and_attaches_their_mask():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], [[0.0, 0.0], [5.0, 5.0], [0.0, 0.0]]])
    masking = layers.Masking()
    y = masking(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(y._keras_mask), [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(ops.convert_to_numpy(y), x)
    y = layers.Masking(mask_value=5.0)(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(y._keras_mask), [[1, 1, 1], [1, 0, 1]])
    np.testing.assert_array_equal(ops.convert_to_numpy(y)[1, 1], [0.0, 0.0])
    assert layers.Masking.from_config(layers.Masking(mask_value=-1.0).get_config()).mask_value == -1.0


def test_a_layer_whose_call_takes_mask_receives_the_embedding_mask():
    embedding, spy = layers.Embedding(10, 4, mask_zero=True), MaskSpy()
    spy(layers.Dense(3)(embedding(TOKENS)))  # Dense supports masking: the mask passes through
    np.testing.assert_array_equal(spy.received[-1], KEEP)
    spy(embedding(TOKENS), mask=np.ones_like(KEEP))  # a mask passed by hand wins
    assert spy.received[-1].all()
    spy(layers.Embedding(10, 4)(TOKENS))
    assert spy.received[-1] is None


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_models_propagate_the_mask_to_later_layers(kind):
    spy = MaskSpy()
    if kind == "sequential":
        model = mlkit.Sequential([mlkit.Input(shape=(5,), dtype="int32"), layers.Embedding(10, 4, mask_zero=True), layers.Dense(3), spy])
    else:
        inputs = mlkit.Input(shape=(5,), dtype="int32")
        outputs = spy(layers.Dense(3)(layers.Embedding(10, 4, mask_zero=True)(inputs)))
        model = mlkit.Model(inputs, outputs)
    spy.received.clear()
    output = model(TOKENS)
    np.testing.assert_array_equal(spy.received[-1], KEEP)
    np.testing.assert_array_equal(ops.convert_to_numpy(output._keras_mask), KEEP)


def test_a_layer_that_drops_the_time_axis_drops_the_mask():
    embedded = layers.Embedding(10, 4, mask_zero=True)(TOKENS)
    pooled = layers.GlobalAveragePooling1D()(embedded)
    assert pooled._keras_mask is None
    vectors = ops.convert_to_numpy(embedded)
    expected = np.stack([vectors[0, :3].mean(axis=0), vectors[1].mean(axis=0)])
    np.testing.assert_allclose(ops.convert_to_numpy(pooled), expected, rtol=1e-6)


@pytest.mark.parametrize("rnn_class", [layers.SimpleRNN, layers.LSTM, layers.GRU])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers_skip_masked_steps(rnn_class, go_backwards):
    """A padded sequence gives the output of the same sequence without its padding."""
    mlkit.utils.set_random_seed(0)
    embedding = layers.Embedding(10, 3, mask_zero=True)
    rnn = rnn_class(4, return_sequences=True, go_backwards=go_backwards)
    outputs = rnn(embedding(TOKENS))
    short = rnn(embedding(TOKENS[:1, :3]))  # the first sequence, unpadded
    full = ops.convert_to_numpy(outputs)
    # Backwards, the outputs are in reading order: the two padding steps come first (as zeros).
    real = full[0, 2:] if go_backwards else full[0, :3]
    np.testing.assert_allclose(real, ops.convert_to_numpy(short)[0], rtol=1e-5, atol=1e-6)
    if go_backwards:
        assert (full[0, :2] == 0).all()
    else:  # masked steps repeat the last real output
        np.testing.assert_allclose(full[0, 3], full[0, 2], rtol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(outputs._keras_mask), KEEP)
    last = rnn_class(4, go_backwards=go_backwards)
    last.build((None, 5, 3))
    last.set_weights(rnn.get_weights())
    final = last(embedding(TOKENS))
    np.testing.assert_allclose(ops.convert_to_numpy(final)[0], ops.convert_to_numpy(last(embedding(TOKENS[:1, :3])))[0], rtol=1e-5, atol=1e-6)
    assert final._keras_mask is None


def test_zero_output_for_mask_gives_zeros_on_padding():
    rnn = layers.SimpleRNN(2, return_sequences=True, zero_output_for_mask=True)
    outputs = ops.convert_to_numpy(rnn(np.ones((2, 5, 3), np.float32), mask=KEEP))
    assert (outputs[0, 3:] == 0).all() and (outputs[0, :3] != 0).all()


def test_gradients_do_not_flow_from_masked_steps():
    rnn = layers.LSTM(3, return_sequences=True)
    x = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 5, 2)).astype("float32"))
    with mlkit.GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(rnn(x, mask=KEEP))
    gradient = ops.convert_to_numpy(tape.gradient(loss, x))
    assert (gradient[0, 3:] == 0).all() and (gradient[0, :3] != 0).any()


def sequence_tagger():
    mlkit.utils.set_random_seed(1)
    return mlkit.Sequential([
        mlkit.Input(shape=(5,), dtype="int32"),
        layers.Embedding(10, 4, mask_zero=True),
        layers.SimpleRNN(6, return_sequences=True),
        layers.Dense(3, activation="softmax"),
    ])


def test_losses_and_metrics_count_only_the_unmasked_steps():
    model = sequence_tagger()
    labels = np.array([[0, 1, 2, 1, 1], [2, 2, 0, 1, 0]])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(TOKENS, labels, verbose=0)
    probabilities = model.predict(TOKENS, verbose=0)
    picked = np.take_along_axis(probabilities, labels[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(loss, -np.log(picked[KEEP]).mean(), rtol=1e-5)
    hits = probabilities.argmax(-1) == labels
    np.testing.assert_allclose(accuracy, hits[KEEP].mean(), rtol=1e-6)
    # Changing the labels of padding steps changes nothing.
    other = np.where(KEEP, labels, (labels + 1) % 3)
    assert model.evaluate(TOKENS, other, verbose=0) == pytest.approx([loss, accuracy], rel=1e-6)


def test_a_masked_sequence_model_trains():
    model = sequence_tagger()
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 10, size=(64, 5))
    tokens[:, 3:] *= rng.random((64, 1)) < 0.5  # half the sequences padded after 3 steps
    labels = tokens % 3  # each step's class: its token mod 3
    model.compile(optimizer=mlkit.optimizers.Adam(0.03), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(tokens, labels, epochs=30, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.95


def test_a_layer_that_cannot_pass_a_mask_on_warns_as_keras():
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    embedded = layers.Embedding(10, 3, mask_zero=True)(TOKENS)
    with pytest.warns(UserWarning, match="does not support masking"):
        doubled = Doubler()(embedded)
    assert doubled._keras_mask is None


def test_bidirectional_passes_the_mask_to_both_directions_and_on():
    mlkit.utils.set_random_seed(2)
    embedding = layers.Embedding(10, 3, mask_zero=True)
    both = layers.Bidirectional(layers.GRU(2, return_sequences=True))
    outputs = both(embedding(TOKENS))
    np.testing.assert_array_equal(ops.convert_to_numpy(outputs._keras_mask), KEEP)
    short = ops.convert_to_numpy(both(embedding(TOKENS[:1, :3])))
    np.testing.assert_allclose(ops.convert_to_numpy(outputs)[0, :3], short[0], rtol=1e-5, atol=1e-6)
