"""What an outer layer call tells the layers it calls: the `training` flag.

When a model is called with `training=True`, every layer it calls inside —
however deeply nested — sees `training=True` unless that inner call passes
its own value. The flag travels through this small stack, so `call` methods
never have to forward it by hand.
"""


class CallContext:
    def __init__(self):
        self.depth = 0  # how many layer calls are running right now
        self.training = None  # the training flag of the outermost call that set one
        self.step = 0  # the training step of the outermost model call (Layer.training_step)


context = CallContext()


def in_layer_call():
    return context.depth > 0
