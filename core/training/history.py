"""The loss curve of a run, bounded in memory however long it trains.

Recent epochs are kept one by one; when the history grows past `max_points`, older epochs are
thinned by core.training.thinning (the rule the window's loss plot uses too): buckets keep their
lowest and highest train and test loss, so spikes and dips stay visible while memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from core.files.atomic import atomic_write_text
from core.training.snapshot import EpochRecord
from core.training.thinning import thin

_FIELDS = [f.name for f in fields(EpochRecord)]


class LossHistory:
    """EpochRecords in epoch order, at most about `max_points` of them (older ones thinned)."""

    def __init__(self, max_points: int = 4096) -> None:
        if max_points < 16:
            raise ValueError(f"LossHistory needs max_points >= 16, got {max_points}")
        self.max_points = int(max_points)
        self._recent = self.max_points // 4  # the newest epochs, always kept one by one
        self._stride = 1                     # epochs per old bucket; 1 until the first thinning
        self._records: list[EpochRecord] = []
        self._arrays: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self):
        return iter(list(self._records))

    @property
    def last(self) -> EpochRecord | None:
        return self._records[-1] if self._records else None

    def append(self, record: EpochRecord) -> None:
        self._records.append(record)
        self._arrays = None
        if len(self._records) > self.max_points:
            self._thin()

    def extend(self, records: Iterable[EpochRecord]) -> None:
        for r in records:
            self.append(r)

    def drop_after(self, epoch: int) -> None:
        """Forget the records of epochs after `epoch` (a run rolled back to it)."""
        self._records = [r for r in self._records if r.epoch <= epoch]
        self._arrays = None

    def clear(self) -> None:
        self._records.clear()
        self._arrays = None
        self._stride = 1

    def _thin(self) -> None:
        """Thin the older epochs in buckets; the newest quarter stays one point per epoch."""
        recs = self._records
        keep, self._stride = thin(np.array([r.epoch for r in recs], dtype=np.float64),
                                  np.array([r.train_loss for r in recs], dtype=np.float64),
                                  np.array([r.test_loss for r in recs], dtype=np.float64),
                                  recent=self._recent, max_points=self.max_points, stride=self._stride)
        self._records = [recs[i] for i in keep]
        self._arrays = None

    def _column(self, name: str) -> np.ndarray:
        if self._arrays is None:
            recs = self._records
            nan = float("nan")
            self._arrays = {
                "epoch": np.array([r.epoch for r in recs], dtype=np.int64),
                "step": np.array([r.step for r in recs], dtype=np.int64),
                "train_loss": np.array([r.train_loss for r in recs], dtype=np.float64),
                "test_loss": np.array([r.test_loss for r in recs], dtype=np.float64),
                "train_accuracy": np.array([nan if r.train_accuracy is None else r.train_accuracy
                                            for r in recs], dtype=np.float64),
                "test_accuracy": np.array([nan if r.test_accuracy is None else r.test_accuracy
                                           for r in recs], dtype=np.float64),
                "learning_rate": np.array([r.learning_rate for r in recs], dtype=np.float64),
            }
            for a in self._arrays.values():
                a.flags.writeable = False
        return self._arrays[name]

    @property
    def epochs(self) -> np.ndarray:
        return self._column("epoch")

    @property
    def steps(self) -> np.ndarray:
        return self._column("step")

    @property
    def train_loss(self) -> np.ndarray:
        return self._column("train_loss")

    @property
    def test_loss(self) -> np.ndarray:
        return self._column("test_loss")

    @property
    def train_acc(self) -> np.ndarray:
        """Train accuracy per point; NaN for regression."""
        return self._column("train_accuracy")

    @property
    def test_acc(self) -> np.ndarray:
        return self._column("test_accuracy")

    @property
    def learning_rate(self) -> np.ndarray:
        return self._column("learning_rate")

    def to_records(self) -> list[dict]:
        """Plain dicts (JSON-safe) for checkpoints."""
        return [asdict(r) for r in self._records]

    @classmethod
    def from_records(cls, records: Iterable[dict], max_points: int = 4096) -> "LossHistory":
        history = cls(max_points)
        for i, raw in enumerate(records):
            try:
                history._records.append(EpochRecord(**{k: raw[k] for k in _FIELDS if k in raw}))
            except TypeError as err:
                raise ValueError(f"loss history record {i} is not valid: {err}") from None
        while len(history._records) > history.max_points:
            history._thin()
        return history

    def to_csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_FIELDS)
        for r in self._records:
            writer.writerow(["" if getattr(r, f) is None else getattr(r, f) for f in _FIELDS])
        return out.getvalue()

    def to_csv(self, path: str | Path) -> None:
        """Write epoch, step, losses, accuracies and learning rate as CSV (atomically)."""
        atomic_write_text(Path(path), self.to_csv_text())
