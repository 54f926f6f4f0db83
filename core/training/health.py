"""Training health, Qt-free: the "health" probe record (per-layer figures in Snapshot.views["health"],
core/training/health_stats.py; its warnings, core/training/health_rules.py), and LossWatch below.

LossWatch: a training loss that climbs or swings without ever becoming NaN: say so once.

NaN/inf is caught by the trainer (Diverged); a learning rate that is merely too high shows as a
loss that swings between 1 and 5 for thousands of epochs, or climbs to 2e6, and nothing else
tells the user. The rule: the training loss, smoothed over ~10 epochs and starting from the loss
before training, stays above 1.5x its best (plus 5 % of where it started, so a loss that has
fallen to ~0 may wobble) for 20 epochs in a row. On the normal examples (spiral, circle, xor, iris,
diabetes, wine; SGD with batch 1) it never stays above that line for one epoch in 1000; at lr 10
on circle (both engines) and RMSprop at lr 10 on diabetes it warns by epoch ~25.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from core.training.probes import PROBES, Probe
from core.training.snapshot import EpochRecord

# Registered here because the trainer imports this module: every run has the record.
PROBES.add(Probe(name="health", label="Training health",
                 applies="core.training.health_stats:applies", collect="core.training.health_stats:sampled"))

SMOOTHING = 0.1        # weight of the newest epoch in the moving average (~10 epochs)
RISE_FACTOR = 1.5      # above this multiple of the best smoothed loss counts as risen ...
START_MARGIN = 0.05    # ... plus this share of the first smoothed loss (a loss near 0 may wobble)
RISEN_EPOCHS = 20      # consecutive risen epochs before the warning


class LossWatch:
    """Feed it every finished epoch (`update`); it returns the warning once, then None."""

    def __init__(self) -> None:
        self.warning = ""  # the warning given, "" until then
        self.restart()

    def restart(self) -> None:
        """Forget the curve so far (a new learning rate starts a new curve); a warning stays given."""
        self._smoothed: float | None = None
        self._start = 0.0
        self._best = math.inf
        self._best_epoch = 0
        self._streak = 0

    def begin(self, loss: float, epoch: int) -> None:
        """Start the curve at the loss before training (at lr 10 the first epoch is already worse)."""
        if self._smoothed is None and math.isfinite(loss):
            self._track(float(loss), epoch)

    def _track(self, loss: float, epoch: int) -> float:
        smoothed = loss if self._smoothed is None else (1 - SMOOTHING) * self._smoothed + SMOOTHING * loss
        if self._smoothed is None:
            self._start = smoothed
        self._smoothed = smoothed
        if smoothed < self._best:
            self._best, self._best_epoch = smoothed, epoch
        return smoothed

    def update(self, record: EpochRecord) -> str | None:
        loss = float(record.train_loss)
        if not math.isfinite(loss):
            return None  # divergence has its own message
        smoothed = self._track(loss, record.epoch)
        risen = smoothed > RISE_FACTOR * self._best + START_MARGIN * self._start
        self._streak = self._streak + 1 if risen else 0
        if self._streak < RISEN_EPOCHS or self.warning:
            return None
        self.warning = (f"The loss has risen for {record.epoch - self._best_epoch} epochs (averaging {smoothed:.3g}, "
                        f"best {self._best:.3g} at epoch {self._best_epoch}): the learning rate "
                        f"({record.learning_rate:g}) may be too high; try a lower one.")
        return self.warning

    def update_many(self, records: Iterable[EpochRecord]) -> str | None:
        """`update` for each record in order; the warning if one of them raised it."""
        found = None
        for record in records:
            found = self.update(record) or found
        return found
