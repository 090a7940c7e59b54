"""Recurrent layers: SimpleRNN, LSTM, GRU, the generic RNN and the Bidirectional wrapper.

    >>> import numpy as np
    >>> from mlkit import layers
    >>> layers.LSTM(8)(np.zeros((2, 5, 3))).shape
    (2, 8)

Each layer wraps a cell (SimpleRNNCell, LSTMCell, GRUCell) that computes one
time step and owns the weights; `RNN(cell)` runs any cell over a sequence.
"""

from mlkit.layers.rnn.bidirectional import Bidirectional
from mlkit.layers.rnn.gru import GRU, GRUCell
from mlkit.layers.rnn.lstm import LSTM, LSTMCell
from mlkit.layers.rnn.rnn import RNN
from mlkit.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = [
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "LSTM",
    "LSTMCell",
    "GRU",
    "GRUCell",
    "Bidirectional",
]
