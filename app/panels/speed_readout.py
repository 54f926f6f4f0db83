"""One training-speed figure for the whole window: the top bar and the status bar show the same text.

Snapshots carry the rate over their own short interval, which jumps (a block of epochs over a few
milliseconds) and means nothing once paused. This meter measures epochs and steps over the last
second of snapshots as they arrive, and says "paused" when training is not running.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 1.0  # the rate is measured over this much recent time


class SpeedReadout:
    """Feed it `observe(epoch, step, running)` for every snapshot; read `text` / `steps_per_second`."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._marks: deque[tuple[float, int, int]] = deque()
        self.running = False
        self.steps_per_second = 0.0
        self.epochs_per_second = 0.0

    def reset(self) -> None:
        self._marks.clear()
        self.running = False
        self.steps_per_second = self.epochs_per_second = 0.0

    def observe(self, epoch: int, step: int, running: bool) -> None:
        now = self._clock()
        if not running:
            self.reset()
            return
        if not self.running:  # (re)started: measure from here, not from before the pause
            self._marks.clear()
        self.running = True
        self._marks.append((now, int(epoch), int(step)))
        while len(self._marks) > 2 and now - self._marks[1][0] >= WINDOW_S:
            self._marks.popleft()
        t0, e0, s0 = self._marks[0]
        dt = now - t0
        if dt > 0.05:
            self.epochs_per_second = (epoch - e0) / dt
            self.steps_per_second = (step - s0) / dt

    @property
    def text(self) -> str:
        if not self.running:
            return "paused"
        if self.steps_per_second <= 0:
            return "starting…"
        return f"{self.steps_per_second:,.0f} steps/s · {self.epochs_per_second:,.0f} epochs/s"

    @property
    def short_text(self) -> str:
        """The same measurement in epochs only (the top bar, beside the epochs-per-second limit)."""
        if not self.running or self.steps_per_second <= 0:
            return self.text
        return f"{self.epochs_per_second:,.0f} epochs/s"
