"""Where the channels axis of an image batch is: last or first.

"channels_last" means `(batch, height, width, channels)` (the default),
"channels_first" means `(batch, channels, height, width)`.

    >>> standardize_data_format(None, "Flatten")
    'channels_last'
"""

DATA_FORMATS = ("channels_last", "channels_first")


def standardize_data_format(data_format, owner):
    """`data_format` checked and lower-cased; None means 'channels_last'."""
    if data_format is None:
        return "channels_last"
    value = str(data_format).lower()
    if value not in DATA_FORMATS:
        raise ValueError(
            f"{owner}: data_format must be 'channels_last' or 'channels_first', "
            f"got data_format={data_format!r}."
        )
    return value


def normalize_pairs(value, argument, owner):
    """An int, a pair of ints or a pair of pairs, as ((top, bottom), (left, right)).

    ZeroPadding2D's padding and Cropping2D's cropping accept all three forms.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value), (value, value))
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        pairs = tuple(
            (item, item) if isinstance(item, int) else tuple(item) for item in value
        )
    else:
        pairs = None
    valid = pairs is not None and all(
        len(pair) == 2 and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in pair)
        for pair in pairs
    )
    if not valid:
        raise ValueError(
            f"{owner}: {argument} must be an int, a tuple of 2 ints (symmetric height, width) "
            f"or a tuple of 2 tuples of 2 ints ((top, bottom), (left, right)), all >= 0. "
            f"Got {argument}={value!r}."
        )
    return pairs
