"""BatchCounter: the every-n-batches rule ModelCheckpoint and BackupAndRestore share."""

import doctest

from mlkit.callbacks import save_frequency
from mlkit.callbacks.save_frequency import BatchCounter


def test_docstring_examples():
    result = doctest.testmod(save_frequency)
    assert result.attempted > 0 and result.failed == 0


def test_epoch_frequency_never_saves_on_a_batch():
    counter = BatchCounter()
    assert not any(counter.due(batch, "epoch") for batch in range(10))


def test_counts_across_epochs_of_uneven_length():
    counter = BatchCounter()
    due = [counter.due(batch, 3) for epoch_length in (2, 2, 2) for batch in range(epoch_length)]
    assert due == [False, False, True, False, False, True]
