"""How much a file being loaded may ask for (an mlkit extension: Keras has no such bounds).

A tiny file can describe a huge model. Loading checks what a file asks for
against these limits *before* allocating it, and refuses with an error that
names the limit. Raise one for a file you trust:

    >>> from mlkit.saving import limits
    >>> limits.max_weight_bytes = 8 * 1024**3   # allow models of up to 8 GB of weights
    >>> limits.max_weight_bytes = 2 * 1024**3   # back to the default

- `max_weight_bytes`: all the weights (and optimizer state) a loaded model
  creates, together;
- `max_member_bytes`: one part of a `.keras` archive once decompressed;
- `max_json_bytes`: a `config.json` or `metadata.json` (parsed JSON takes
  many times its size in memory);
- `max_compression_ratio`: how much a part may grow when decompressed, or an
  HDF5 dataset beyond the bytes it really occupies (zip bombs, fill values);
- `max_json_depth`: how deeply a `config.json` may nest.
"""

max_weight_bytes = 2 * 1024**3
max_member_bytes = 2 * 1024**3
max_json_bytes = 64 * 1024**2
max_compression_ratio = 200
max_json_depth = 100


def described(name):
    """'mlkit.saving.limits.NAME (now VALUE)', for error messages."""
    return f"mlkit.saving.limits.{name} (now {globals()[name]:,})"
