"""Stop conditions (spec.stop) for Trainer.run: targets, patience and restore-best. Qt-free.

Exact on both engines: a patience stop can only fall `patience` epochs after the best, so fused
blocks are cut at that horizon; a target met inside a block rolls the trainer back to the block's
start and replays up to that epoch (shuffles and dropout masks are pure functions of seed and
epoch, so the replay is the same training). "Best" is the lowest test loss (train loss when the
data has no test split); ties keep the earlier epoch. `restore_best` follows Keras'
`EarlyStopping(restore_best_weights=True)`: only the weights go back (optimizer state, epoch
counter and history stay at the stop), on a patience stop and also when the run reaches its epoch
limit; a target stop keeps the weights that met the target, a user stop or divergence keeps the last.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from core.spec import StopSpec
from core.training.snapshot import EpochRecord

if TYPE_CHECKING:
    from core.training.trainer import Trainer


# The lines `finish` and the stop reasons start with (the CLI tells them from warnings).
REPORT_PREFIXES = ("Stopped at epoch", "restored the weights", "Restored the weights")


def _clone(value: Any) -> Any:
    from core.training.trainer import _clone_tree

    return _clone_tree(value)


class Anchor:
    """The trainer's weights, optimizer state, schedule and counters at one moment, to go back to."""

    def __init__(self, trainer: "Trainer") -> None:
        self.model = _clone(trainer.model.state_dict())
        self.optimizer = _clone(trainer.optimizer.state_dict())
        self.schedule = trainer.schedule.state_dict()
        self.epoch, self.step = trainer.epoch, trainer.step

    def restore(self, trainer: "Trainer") -> None:
        """Back to this moment (the history is the caller's business); the anchor stays reusable."""
        trainer.model.load_state_dict(self.model)
        trainer.optimizer.load_state_dict(_clone(self.optimizer))  # never share tensors with the anchor
        trainer.schedule.load_state_dict(self.schedule)
        trainer.epoch, trainer.step = self.epoch, self.step
        trainer._weights_changed()


class StopRule:
    """Watches a run's epochs against spec.stop; `train(count)` replaces `trainer.train_epochs(count)`."""

    def __init__(self, trainer: "Trainer", stop: StopSpec | None = None) -> None:
        self.trainer = trainer
        self._fixed = stop
        self.stop = stop if stop is not None else trainer.spec.stop
        self.has_test = len(trainer.x_test) > 0
        self.monitor = "test_loss" if self.has_test else "train_loss"
        self.best: EpochRecord | None = None
        self.wait = 0  # epochs since the best (Keras' `wait`)
        self.start_epoch = trainer.epoch
        self.reason = ""  # why the run stopped, "" while it goes on
        self.kind = ""  # "target" or "patience" once stopped
        self.restored = False
        self.report = ""  # what `finish` said
        self._best_weights: dict | None = None
        self._best_replay: tuple[Anchor, int] | None = None
        previous = getattr(trainer, "last_stop", None)
        if stop is None and isinstance(previous, StopRule) and previous.trainer is trainer:
            # The window runs the same trainer again after a stop: the best so far (and its weights)
            # carry on, the patience count starts again.
            self.best, self._best_weights, self._best_replay = previous.best, previous._best_weights, previous._best_replay

    def refresh(self) -> None:
        """Follow the trainer's spec.stop after a live change (the best and the count so far stay)."""
        if self._fixed is None and self.stop is not self.trainer.spec.stop:
            self.stop = self.trainer.spec.stop
            self.reason, self.kind = "", ""

    # ------------------------------------------------------------------ training
    def train(self, count: int) -> list[EpochRecord]:
        """Up to `count` epochs, ending exactly at the epoch a condition fires (then `reason` is set).

        Diverged passes through (its finished epochs still count towards the best).
        """
        from core.training.rollback import Diverged

        trainer = self.trainer
        count = self._cap(int(count))
        anchor = Anchor(trainer) if count > 1 and self._needs_anchor() else None
        try:
            records = trainer.train_epochs(count)
        except Diverged as err:  # the run ends diverged: no restore, but the best so far is reported
            self._scan(err.records)
            raise
        stop_at, best_at = self._scan(records)
        if stop_at is not None and stop_at < len(records) - 1:
            assert anchor is not None  # a target inside a block: go back and replay up to it
            anchor.restore(trainer)
            trainer.history.drop_after(anchor.epoch)
            records = trainer.train_epochs(stop_at + 1)
        if best_at is not None and self.stop.restore_best:
            if best_at == len(records) - 1:
                self._best_weights, self._best_replay = _clone(trainer.model.state_dict()), None
            else:
                self._best_weights, self._best_replay = None, (anchor, best_at + 1)  # type: ignore[assignment]
        return records

    def _needs_anchor(self) -> bool:
        s = self.stop
        return s.restore_best or s.target_test_accuracy is not None or s.target_test_loss is not None

    def _cap(self, count: int) -> int:
        """Cut a block so a patience stop lands on its last epoch."""
        if self.stop.patience is None:
            return count
        return max(1, min(count, self.stop.patience - self.wait))

    def _scan(self, records: list[EpochRecord]) -> tuple[int | None, int | None]:
        """Update best/wait over `records`; (index of the first stopping epoch, index of the last new best)."""
        best_at = None
        for i, record in enumerate(records):
            value = getattr(record, self.monitor)
            if math.isfinite(value) and (self.best is None or value < getattr(self.best, self.monitor)):
                self.best, self.wait, best_at = record, 0, i
            else:
                self.wait += 1
            if self._fires(record):
                return i, best_at
        return None, best_at

    def _fires(self, record: EpochRecord) -> bool:
        s, split = self.stop, "test" if self.has_test else "train (no test split)"
        accuracy = record.test_accuracy if self.has_test else record.train_accuracy
        loss = record.test_loss if self.has_test else record.train_loss
        if s.target_test_accuracy is not None and accuracy is not None and accuracy >= s.target_test_accuracy:
            self.kind = "target"
            self.reason = (f"Stopped at epoch {record.epoch}: {split} accuracy {100 * accuracy:.2f} % reached the "
                           f"target {100 * s.target_test_accuracy:.2f} %")
        elif s.target_test_loss is not None and math.isfinite(loss) and loss <= s.target_test_loss:
            self.kind = "target"
            self.reason = (f"Stopped at epoch {record.epoch}: {split} loss {loss:.4g} reached the target "
                           f"{s.target_test_loss:g}")
        elif s.patience is not None and self.wait >= s.patience:
            self.kind = "patience"
            where = f"epoch {self.best.epoch}" if self.best is not None else "the start"
            self.reason = (f"Stopped at epoch {record.epoch}: no lower {self.monitor.replace('_', ' ')} for "
                           f"{self.wait} epochs (best at {where})")
        return bool(self.kind)

    # ------------------------------------------------------------------ the end of the run
    def finish(self, finished: bool, lead: str = "") -> str:
        """At the end of a run: restore the best weights when asked and the run ended on its own
        (patience or the epoch limit, `finished`); returns the line to show ("" if nothing to say),
        starting with `lead` when no condition fired (the window's epoch limit)."""
        text = self.report = self.reason or lead
        if not (finished and self.stop.restore_best and self.kind != "target" and self.best is not None):
            return text
        trainer = self.trainer
        if trainer.epoch == self.best.epoch:
            self.restored = True  # the last epoch is the best: nothing to do
            return text
        weights = self._best_weights
        if weights is None and self._best_replay is not None:
            weights = self._replayed_weights(*self._best_replay)
        if weights is None:
            return text
        trainer.model.load_state_dict(weights)
        trainer._weights_changed()
        self.restored = True
        which = "test" if self.has_test else "train (no test split)"
        restored = (f"restored the weights of epoch {self.best.epoch} ({which} loss "
                    f"{getattr(self.best, self.monitor):.4g})")
        self.report = f"{text}; {restored}" if text else restored[0].upper() + restored[1:]
        return self.report

    def _replayed_weights(self, anchor: Anchor, epochs: int) -> dict:
        """The weights `epochs` epochs after `anchor`, trained again; the trainer ends as it was."""
        trainer = self.trainer
        now, history = Anchor(trainer), trainer.history
        from core.training.history import LossHistory

        try:
            trainer.history = LossHistory(history.max_points)
            anchor.restore(trainer)
            trainer.train_epochs(epochs)
            return _clone(trainer.model.state_dict())
        finally:
            now.restore(trainer)
            trainer.history = history

    def summary(self) -> dict[str, Any]:
        """The best epoch and its figures for metrics.json (None before any epoch)."""
        b = self.best
        return {
            "best_epoch": None if b is None else b.epoch,
            "best_by": self.monitor if self.has_test else "train_loss (no test split)",
            "best_train_loss": None if b is None else _finite(b.train_loss),
            "best_test_loss": None if b is None or not self.has_test else _finite(b.test_loss),
            "best_train_accuracy": None if b is None else b.train_accuracy,
            "best_test_accuracy": None if b is None or not self.has_test else b.test_accuracy,
            "stop_reason": self.reason,
            "restored_best": self.restored,
        }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
