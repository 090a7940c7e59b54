"""When a saving callback saves during an epoch: every `save_freq` batches.

`ModelCheckpoint` and `BackupAndRestore` take `save_freq="epoch"` (save at
each epoch's end) or an integer n (save every n batches). Batches are
counted across epoch boundaries, as in Keras: with 3 batches an epoch and
`save_freq=2`, the saves fall after the 2nd, 4th and 6th batch of the run.

    >>> from mlkit.callbacks.save_frequency import BatchCounter
    >>> counter = BatchCounter()
    >>> [counter.due(batch, save_freq=2) for batch in (0, 1, 2, 0, 1, 2)]
    [False, True, False, True, False, True]
"""


class BatchCounter:
    """Counts the batches seen since the last save; `fit` numbers batches from 0 in each epoch."""

    def __init__(self):
        self.last_batch_seen = 0
        self.batches_since_last_save = 0

    def due(self, batch, save_freq):
        """Count batch number `batch`; True when `save_freq` batches have passed since the last save."""
        if save_freq == "epoch":
            return False
        if batch <= self.last_batch_seen:  # the numbering started again: a new epoch
            new_batches = batch + 1
        else:
            new_batches = batch - self.last_batch_seen
        self.batches_since_last_save += new_batches
        self.last_batch_seen = batch
        if self.batches_since_last_save >= save_freq:
            self.batches_since_last_save = 0
            return True
        return False
