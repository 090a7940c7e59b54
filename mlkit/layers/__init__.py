"""`mlkit.layers`: the `Layer` base class and the standard layers.

    >>> from mlkit import layers
    >>> layers.Dense(3).name.startswith("dense")
    True
"""

from mlkit.layers.core.dense import Dense
from mlkit.layers.core.lambda_layer import Lambda
from mlkit.layers.input_spec import InputSpec
from mlkit.layers.layer import Layer
