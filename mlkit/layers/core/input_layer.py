"""`mlkit.Input` and `InputLayer`: where a functional model's data enters.

    >>> import mlkit
    >>> image = mlkit.Input(shape=(8, 8, 1), name="image")
    >>> image.shape    # None: any batch size
    (None, 8, 8, 1)
"""

from mlkit.layers.layer import Layer
from mlkit.layers.keras_tensor import KerasTensor, Node


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError(
                f"InputLayer {self.name!r}: pass either shape=... (without the batch axis) or "
                "batch_shape=... (with it), not both."
            )
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    f"InputLayer {self.name!r}: the input shape is required, e.g. "
                    "mlkit.Input(shape=(28, 28)) — without the batch axis."
                )
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if n is None else int(n) for n in batch_shape)
        self.sparse = bool(sparse)
        self._input_dtype = dtype or self.compute_dtype
        self.built = True
        output = KerasTensor(self.batch_shape, dtype=self._input_dtype, name=self.name, history=(self, 0, 0))
        self._inbound_nodes = [Node(self, (), {}, output)]

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self._input_dtype, "sparse": self.sparse, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None):
    """A symbolic input tensor: the start of a functional model.

    `shape` excludes the batch axis; `batch_shape` includes it.
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape, name=name)
    return layer.output
