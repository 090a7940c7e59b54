"""`mlkit.saving`: configs, the custom-object registry, and model files in Keras 3's formats.

For other parts of mlkit that write and read their own files (training
backups), the building blocks are public too: `AtomicFile` (all-or-nothing
writes), `read_archive` / `read_json` / `open_regular_file` (reading
without being tricked), `arrays_to_npz_bytes` / `npz_bytes_to_arrays` and
`assign_in_order`.

Its low level (`object_registration`: the registry, standard library only;
`serialization`: configs, on top of NumPy and `mlkit.ops`) is what
initializers, layers and models import, downward. The model-file code
(`model_file` and its helpers) reaches the layer and model classes only
inside the functions that save and load, so no module here imports them
at import time (tests/test_import_layers.py checks it).
"""

from mlkit.saving.archive import arrays_to_npz_bytes, npz_bytes_to_arrays, open_regular_file, read_archive, read_json
from mlkit.saving.atomic_file import AtomicFile
from mlkit.saving.model_file import load_model, load_weights, save_model, save_weights
from mlkit.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from mlkit.saving.ordered_weights import assign_in_order
from mlkit.saving.serialization import deserialize_keras_object, enable_unsafe_deserialization, serialize_keras_object
