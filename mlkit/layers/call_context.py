"""What an outer layer call tells the layers it calls: the `training` flag, and its name.

When a model is called with `training=True`, every layer it calls inside —
however deeply nested — sees `training=True` unless that inner call passes
its own value. The flag travels through this small stack, so `call` methods
never have to forward it by hand.

The layers being called also form the name scope of new weights, as in
Keras: a Dense built inside the call of a layer named "conv_block" gets the
weight path "conv_block/dense/kernel".
"""


class CallContext:
    def __init__(self):
        self.depth = 0  # how many layer calls are running right now
        self.training = None  # the training flag of the outermost call that set one
        self.step = 0  # the training step of the outermost model call (Layer.training_step)
        self.scope = []  # the layers being built or called right now, outermost first


context = CallContext()


class name_scope:
    """`with name_scope(layer):` weights created inside get paths under `layer.name`."""

    def __init__(self, layer):
        self.layer = layer

    def __enter__(self):
        context.scope.append(self.layer)

    def __exit__(self, *exc_info):
        context.scope.pop()
        return False


def in_layer_call():
    return context.depth > 0
