"""Thread-safe control of a running trainer: the GUI thread writes, the training loop reads between steps."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class LiveSettings:
    """Settings that apply between steps without a reset; None means unchanged."""

    learning_rate: float | None = None
    batch_size: int | None = None
    regularization_rate: float | None = None


class TrainingControl:
    """Pause, resume, stop, single-step and live changes, all safe to call from any thread."""

    def __init__(self, paused: bool = False) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = paused
        self._stop = False
        self._steps_requested = 0
        self._pending = LiveSettings()
        self._weight_edits: list[tuple[int, int, int, float]] = []
        self._grid_requested = False

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

    def set_learning_rate(self, lr: float) -> None:
        with self._lock:
            self._pending.learning_rate = float(lr)
            self._wake.set()

    def set_batch_size(self, n: int) -> None:
        with self._lock:
            self._pending.batch_size = int(n)
            self._wake.set()

    def set_regularization_rate(self, rate: float) -> None:
        with self._lock:
            self._pending.regularization_rate = float(rate)
            self._wake.set()

    def set_weight(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        """Overwrite one weight of Linear `layer` (0 = first) at the next safe point."""
        with self._lock:
            self._weight_edits.append((layer, out_index, in_index, float(value)))
            self._wake.set()

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

    def take_pending(self) -> tuple[LiveSettings, list[tuple[int, int, int, float]], bool]:
        with self._lock:
            pending, self._pending = self._pending, LiveSettings()
            edits, self._weight_edits = self._weight_edits, []
            grid, self._grid_requested = self._grid_requested, False
            return pending, edits, grid

    def wait(self, timeout: float) -> None:
        """Sleep until something changes or `timeout` seconds pass (used while paused)."""
        self._wake.wait(timeout)
        self._wake.clear()
