"""How many epochs a training loop trains between two looks at its control (Trainer.run's loop and the
window's first epochs before torch has loaded, core/training/prelude.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

# A loop trains at most this long (and this many epochs) between two looks at its control.
MAX_BLOCK_SECONDS = 0.05
MAX_BLOCK_EPOCHS = 1024


class BlockPace:
    """How many epochs a loop trains in one `train_epochs` call: as many as fit before the next
    snapshot is due (so the fused engine holds the GIL once a snapshot, not once an epoch), never
    more than MAX_BLOCK_SECONDS of work (pause and stop answer within it) or MAX_BLOCK_EPOCHS."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._epoch_seconds = math.inf  # unknown until the first block: start with one epoch

    def epochs_until(self, deadline: float) -> int:
        budget = min(deadline - self._clock(), MAX_BLOCK_SECONDS)
        if not budget > 0 or not math.isfinite(self._epoch_seconds):
            return 1
        return max(1, min(MAX_BLOCK_EPOCHS, int(budget / max(self._epoch_seconds, 1e-7))))

    def record(self, seconds: float, epochs: int) -> None:
        per_epoch = seconds / max(epochs, 1)
        known = math.isfinite(self._epoch_seconds)
        self._epoch_seconds = 0.7 * self._epoch_seconds + 0.3 * per_epoch if known else per_epoch
