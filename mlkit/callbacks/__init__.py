"""`mlkit.callbacks`: hooks into the training loop.

    >>> from mlkit import callbacks
    >>> history = callbacks.History()
"""

from mlkit.callbacks.callback import Callback
from mlkit.callbacks.callback_list import CallbackError, CallbackList
from mlkit.callbacks.history import History
from mlkit.callbacks.progbar_logger import ProgbarLogger
