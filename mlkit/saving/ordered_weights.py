"""`assign_in_order`: put a list of arrays into a list of variables, all or nothing.

For files that store weights as a plain list in `model.weights` order (the
training backups of `BackupAndRestore`, and model files of mlkit 0.1):
every count and shape is checked first, so a mismatch changes nothing.

    >>> import numpy as np, mlkit
    >>> from mlkit.saving.ordered_weights import assign_in_order
    >>> v = mlkit.Variable(np.zeros(2), name="v")
    >>> assign_in_order([v], [np.ones(2)], "'example'")
    >>> v.numpy().tolist()
    [1.0, 1.0]
"""


def assign_in_order(variables, arrays, where, saved_paths=None, what="weights"):
    if len(variables) != len(arrays):
        raise ValueError(
            f"{where} holds {len(arrays)} {what}, but the model has {len(variables)}. "
            "The file was saved from a different architecture."
        )
    for index, (variable, value) in enumerate(zip(variables, arrays)):
        if tuple(variable.shape) != tuple(value.shape):
            saved = f" (saved as {saved_paths[index]!r})" if saved_paths else ""
            raise ValueError(
                f"{where}: {what} {index} {variable.path!r}{saved} has shape {value.shape} in the "
                f"file but {tuple(variable.shape)} in the model. The architectures differ."
            )
    for variable, value in zip(variables, arrays):
        variable.assign(value)
