"""A training loop's pacing: how many epochs it trains between two looks at its control, and when it sends
its next snapshot and grid (Trainer.run's loop, core/training/run_loop.py, and the window's first epochs
before torch has loaded, core/training/prelude.py)."""

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


class SnapshotClock:
    """When a loop sends its next snapshot (at most snapshot_hz a second) and its next grid (at most
    grid_hz; 0 or inf: every time), and the epochs and steps per second since the last snapshot."""

    def __init__(self, clock: Callable[[], float], snapshot_hz: float, grid_hz: float, epoch: int,
                 step: int) -> None:
        self._clock = clock
        self._gap = 1.0 / snapshot_hz if snapshot_hz > 0 else 0.0
        self._grid_gap = 1.0 / grid_hz if grid_hz > 0 else 0.0
        self._t = clock()
        self._grid_t = -math.inf
        self._epoch, self._step = epoch, step

    @property
    def next_due(self) -> float:
        """The clock time at which the next snapshot is due (BlockPace.epochs_until's deadline)."""
        return self._t + self._gap

    def due(self, now: float) -> bool:
        return now - self._t >= self._gap

    def grid_due(self, now: float) -> bool:
        return now - self._grid_t >= self._grid_gap

    def rates(self, epoch: int, step: int) -> tuple[float, float, float]:
        """(now, epochs per second, steps per second) since the last snapshot sent."""
        now = self._clock()
        dt = now - self._t
        if dt <= 0:
            return now, 0.0, 0.0
        return now, (epoch - self._epoch) / dt, (step - self._step) / dt

    def sent(self, now: float, epoch: int, step: int, grid: bool) -> None:
        """A snapshot (with a grid if `grid`) of `epoch` and `step` went out at `now` (from `rates`)."""
        self._t, self._epoch, self._step = now, epoch, step
        if grid:
            self._grid_t = now
