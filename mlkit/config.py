"""`mlkit.config`: the global settings, under the names `keras.config` uses.

    >>> import mlkit
    >>> mlkit.config.floatx()
    'float32'

Everything here is defined elsewhere (`mlkit.backend`, `mlkit.dtype_policies`,
`mlkit.saving`) and only gathered, so code written against `keras.config`
runs unchanged.
"""

from mlkit.backend import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from mlkit.dtype_policies import dtype_policy, set_dtype_policy
from mlkit.saving.serialization import enable_unsafe_deserialization
