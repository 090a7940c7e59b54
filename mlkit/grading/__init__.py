"""`mlkit.grading`: the checks behind the course's test cells.

A test cell runs its checks inside `grading.exercise(title)`. When one
fails, the learner reads what was checked, what was expected, what came,
and the likely mistake: never a bare AssertionError, never the hidden test
code. Errors in the learner's code point at the line of their own cell.

    >>> from mlkit import grading
    >>> with grading.exercise("two and two"):
    ...     grading.check_equal(2 + 2, 4, "2 + 2")
    ✓ two and two

Checks (each raises a `GradingFailure` with its own explanation):

- general: `check`, `check_equal`, `check_close`, `check_shape`,
  `check_type`, `check_raises`, `check_defined`;
- how a layer makes its weights: `check_builds_lazily`,
  `check_weights_created_once`, `check_weights`, `check_weight_shapes`,
  `check_forwards_base_arguments`;
- what it computes: `check_layer_output`, `check_output_shape`,
  `check_layer_gradients`, `check_gradients`;
- its configuration and state: `check_config`, `check_losses_reset`,
  `check_state_frozen_at_inference`, `check_counter_advances`.

Importing this module inside IPython also records how each cell ends, so a
test can say "the cell that defines SimpleDense failed with SyntaxError"
rather than "name 'SimpleDense' is not defined".
"""

from mlkit.grading import cell_history, probe_channel
from mlkit.grading.checks import (
    check, check_close, check_defined, check_equal, check_raises, check_shape, check_type,
)
from mlkit.grading.exercise import TimeLimitExceeded, exercise
from mlkit.grading.failure import GradingFailure, UnfinishedExercise
from mlkit.grading.layer_building import (
    check_builds_lazily, check_forwards_base_arguments, check_weight_shapes, check_weights,
    check_weights_created_once,
)
from mlkit.grading.layer_computation import (
    check_gradients, check_layer_gradients, check_layer_output, check_output_shape,
)
from mlkit.grading.layer_state import (
    check_config, check_counter_advances, check_losses_reset, check_state_frozen_at_inference,
)
from mlkit.grading.result_checks import check_result, check_result_close, check_result_equal, check_results_close

cell_history.install()
if probe_channel.mode() == "probe":  # at autograde, in the sandbox: see probe_channel
    probe_channel.remember_originals()

__all__ = [
    "GradingFailure", "UnfinishedExercise", "TimeLimitExceeded", "exercise",
    "check", "check_equal", "check_close", "check_shape", "check_type", "check_raises", "check_defined",
    "check_builds_lazily", "check_weights_created_once", "check_weights", "check_weight_shapes",
    "check_forwards_base_arguments",
    "check_layer_output", "check_output_shape", "check_layer_gradients", "check_gradients",
    "check_config", "check_losses_reset", "check_state_frozen_at_inference", "check_counter_advances",
    "check_result", "check_result_equal", "check_result_close", "check_results_close",
]
