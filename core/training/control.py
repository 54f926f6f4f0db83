"""Thread-safe control of a running trainer: the GUI thread writes, the training loop reads between steps."""

from __future__ import annotations

import threading
import time
from typing import Any

from core.training.live import LIVE


class TrainingControl:
    """Pause, resume, stop, single-step and live changes, all safe to call from any thread."""

    def __init__(self, paused: bool = False) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = paused
        self._stop = False
        self._steps_requested = 0
        self._pending: dict[str, Any] = {}  # live setting name -> latest value (latest wins)
        self._weight_edits: list[tuple[int, int, int, float]] = []
        self._grid_requested = False
        self._speed_limit: float | None = None  # epochs per second; None = as fast as it goes
        self._allowance = 0.0
        self._allowance_t = time.monotonic()

    # --- called from the GUI / CLI -------------------------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._wake.set()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._wake.set()

    def request_epochs(self, n: int = 1) -> None:
        """While paused, run exactly n more epochs, then pause again."""
        with self._lock:
            self._steps_requested += n
            self._wake.set()

    def set_live(self, name: str, value: Any) -> None:
        """Apply live setting `name` (a core.training.live.LIVE record) at the next safe point."""
        value = LIVE[name].cast(value)
        with self._lock:
            self._pending[name] = value
            self._wake.set()

    def set_learning_rate(self, lr: float) -> None:
        self.set_live("learning_rate", lr)

    def set_batch_size(self, n: int) -> None:
        self.set_live("batch_size", n)

    def set_regularization_rate(self, rate: float) -> None:
        self.set_live("regularization_rate", rate)

    def set_weight(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        """Overwrite one weight of Linear `layer` (0 = first) at the next safe point."""
        with self._lock:
            self._weight_edits.append((layer, out_index, in_index, float(value)))
            self._wake.set()

    def set_speed_limit(self, epochs_per_second: float | None) -> None:
        """Train at most this many epochs a second (None or 0: as fast as possible), so a learner can
        watch the boundary form; applies at once, no reset."""
        with self._lock:
            rate = float(epochs_per_second or 0.0)
            self._speed_limit = rate if rate > 0 else None
            self._allowance = 0.0
            self._allowance_t = time.monotonic()
            self._wake.set()

    @property
    def speed_limit(self) -> float | None:
        with self._lock:
            return self._speed_limit

    def request_grid(self) -> None:
        """Ask for a snapshot with the boundary grid soon (e.g. after a weight edit while paused)."""
        with self._lock:
            self._grid_requested = True
            self._wake.set()

    # --- called from the training loop ---------------------------------------------------------
    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    def take_epoch_permit(self) -> bool:
        """True if the loop may run one epoch now (running, or a requested single step)."""
        with self._lock:
            if self._stop:
                return False
            if not self._paused:
                return True
            if self._steps_requested > 0:
                self._steps_requested -= 1
                return True
            return False

    def grant_epochs(self, wanted: int) -> tuple[int, float]:
        """How many of `wanted` epochs may run now under the speed limit (taken from the allowance,
        which refills at the limit and holds at most a tenth of a second's worth), and, when none
        may, how many seconds until one may. Without a limit: all of them."""
        with self._lock:
            rate = self._speed_limit
            if rate is None:
                return wanted, 0.0
            now = time.monotonic()
            self._allowance = min(max(1.0, rate * 0.1), self._allowance + (now - self._allowance_t) * rate)
            self._allowance_t = now
            granted = min(int(wanted), int(self._allowance))
            if granted <= 0:
                return 0, (1.0 - self._allowance) / rate
            self._allowance -= granted
            return granted, 0.0

    def has_changes(self) -> bool:
        """Whether live settings or weight edits wait to be applied (they stay waiting)."""
        with self._lock:
            return bool(self._pending or self._weight_edits)

    def take_pending(self) -> tuple[dict[str, Any], list[tuple[int, int, int, float]], bool]:
        """(live settings by name, weight edits, whether a grid was asked for), all cleared."""
        with self._lock:
            pending, self._pending = self._pending, {}
            edits, self._weight_edits = self._weight_edits, []
            grid, self._grid_requested = self._grid_requested, False
            return pending, edits, grid

    def wait(self, timeout: float) -> None:
        """Sleep until something changes or `timeout` seconds pass (used while paused)."""
        self._wake.wait(timeout)
        self._wake.clear()
