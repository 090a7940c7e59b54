"""What using the course leaves in its folders: by-products, never part of it.

Opening a notebook in JupyterLab makes `.ipynb_checkpoints/`; Python makes
`__pycache__/`. The release comparison (instructor side) and the progress
view (learner side) both leave them out; the student bundle keeps this module.
"""

from pathlib import Path

BY_PRODUCTS = frozenset({".ipynb_checkpoints", ".virtual_documents", ".jupyter_ystore.db",
                         "__pycache__", ".DS_Store"})


def is_by_product(relative_path):
    """Whether a path inside a course folder is a by-product of using it (see BY_PRODUCTS).

    >>> is_by_product(Path("01_the_layer/.ipynb_checkpoints/the_layer-checkpoint.ipynb"))
    True
    """
    return any(part in BY_PRODUCTS or part.endswith(".pyc") for part in Path(relative_path).parts)
