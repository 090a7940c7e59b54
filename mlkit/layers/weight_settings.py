"""A weight's settings: its initializer, regularizer and constraint.

Layers with weights take three arguments for each kind of weight they
create: Dense takes `kernel_initializer`, `kernel_regularizer`,
`kernel_constraint` and the same three for its bias; a separable
convolution has them for its depthwise and pointwise kernels too. Each
argument may be a name ("glorot_uniform"), a config dict or an object.
`set_weight_settings` turns the three of one family into objects, kept as
attributes of the layer under the argument names; `weight_settings_config`
writes them back as the config entries `get_config` returns, in Keras's
order: all the initializers, then the regularizers, then the constraints.

    >>> from mlkit import layers
    >>> layer = layers.Layer(name="demo")
    >>> set_weight_settings(layer, "kernel", "ones", "l2", None)
    >>> type(layer.kernel_initializer).__name__, layer.kernel_constraint
    ('Ones', None)
    >>> list(weight_settings_config(layer, ["kernel"]))
    ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint']

A setting that cannot be read names the layer and the argument:

    >>> set_weight_settings(layer, "bias", "zeroes", None, None)
    Traceback (most recent call last):
    ...
    ValueError: Invalid initializer for `bias_initializer` of layer 'demo' (Layer): Unknown initializer 'zeroes'...
"""

from mlkit import constraints, initializers, regularizers
from mlkit.layers.layer import _get_setting

# The three settings of every weight family, and the module that reads each.
SETTING_MODULES = (("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints))


def layer_setting(layer, module, kind, argument, value):
    """`module.get(value)` for the argument `argument` of `layer`; an error names both."""
    return _get_setting(module, kind, value, f"`{argument}` of layer {layer.name!r} ({type(layer).__name__})")


def set_weight_settings(layer, family, initializer, regularizer, constraint):
    """Keep e.g. `layer.kernel_initializer`, `layer.kernel_regularizer`, `layer.kernel_constraint`
    (for `family` "kernel"), each read from the argument of that name."""
    for (kind, module), value in zip(SETTING_MODULES, (initializer, regularizer, constraint)):
        argument = f"{family}_{kind}"
        setattr(layer, argument, layer_setting(layer, module, kind, argument, value))


def weight_settings_config(layer, families, activity_regularizer=False):
    """The settings of `families` as config entries: the initializers, the regularizers, the constraints.

    With `activity_regularizer=True` the layer's activity regularizer follows the regularizers, where
    Keras writes it in the configs of convolutions and attention."""
    config = {}
    for kind, module in SETTING_MODULES:
        for family in families:
            config[f"{family}_{kind}"] = module.serialize(getattr(layer, f"{family}_{kind}"))
        if kind == "regularizer" and activity_regularizer:
            config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return config
