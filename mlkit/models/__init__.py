"""`mlkit.models`: Model (functional and subclassed), Sequential, Input.

    >>> import mlkit
    >>> model = mlkit.Sequential([mlkit.Input(shape=(3,)), mlkit.layers.Dense(1)])
    >>> model.count_params()
    4
"""

from mlkit.models.functional import Functional
from mlkit.layers.core.input_layer import Input, InputLayer
from mlkit.layers.keras_tensor import KerasTensor
from mlkit.models.model import Model
from mlkit.models.sequential import Sequential
from mlkit.saving.model_file import load_model
