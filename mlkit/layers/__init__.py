"""`mlkit.layers`: the `Layer` base class and the standard layers.

    >>> from mlkit import layers
    >>> layers.Dense(3).name.startswith("dense")
    True

Each family lives in its own subpackage (core, activations, convolutional,
pooling, normalization, regularization, reshaping, merging, rnn, attention), as in
Keras.
"""

from mlkit.layers.activations import *  # noqa: F401,F403
from mlkit.layers.attention import *  # noqa: F401,F403
from mlkit.layers.convolutional import *  # noqa: F401,F403
from mlkit.layers.core.dense import Dense
from mlkit.layers.core.embedding import Embedding
from mlkit.layers.core.identity import Identity
from mlkit.layers.core.lambda_layer import Lambda
from mlkit.layers.core.masking import Masking
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
from mlkit.layers.merging import *  # noqa: F401,F403
from mlkit.layers.normalization import *  # noqa: F401,F403
from mlkit.layers.pooling import *  # noqa: F401,F403
from mlkit.layers.regularization import *  # noqa: F401,F403
from mlkit.layers.reshaping import *  # noqa: F401,F403
from mlkit.layers.rnn import *  # noqa: F401,F403

# Keras also offers Input and InputLayer under keras.layers (seed 004 uses layers.Input).
from mlkit.layers.core.input_layer import Input, InputLayer  # noqa: E402
