"""One kept run: its settings, how it ended, final and best figures, and its curves (thinned).

RunRecorder follows the live run epoch by epoch (a LossHistory of CURVE_POINTS, thinned by
core.training.thinning like every loss curve), and `finish()` turns it into a RunRecord, or None
for a run of 0 epochs (nothing worth keeping).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from core.training.history import LossHistory

CURVE_POINTS = 256  # points per kept curve: a hundred runs stay well under a megabyte
CURVES = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")


def _number(value: Any) -> float | None:
    """A finite float, or None (NaN, inf, missing): what JSON and CSV can hold."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass
class RunRecord:
    """A finished run as the run list shows, saves and exports it."""

    name: str
    time: str                                   # local time it ended, "2026-12-02 19:45:03"
    spec: dict                                  # the run's Experiment.to_dict() (live changes included)
    ended: str = "reset"                        # reset, finished, stopped, diverged, sweep ...
    epochs: int = 0
    train_loss: float | None = None
    test_loss: float | None = None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    best_epoch: int | None = None
    best_test_loss: float | None = None
    epochs_per_second: float | None = None
    curves: dict[str, list] = field(default_factory=dict)   # CURVES -> equal-length lists

    FIGURES = ("epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "best_epoch",
               "best_test_loss", "epochs_per_second")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Any) -> "RunRecord":
        """A record from its saved form; ValueError naming what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError(f"a run is an object, not {type(raw).__name__}")
        known = {f.name for f in fields(cls)}
        if not isinstance(raw.get("name"), str) or not isinstance(raw.get("spec"), dict):
            raise ValueError("a run needs a 'name' (text) and a 'spec' (object)")
        values = {k: v for k, v in raw.items() if k in known}
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "best_test_loss",
                    "epochs_per_second"):
            values[key] = _number(values.get(key))
        values["epochs"] = int(_number(values.get("epochs")) or 0)
        best = _number(values.get("best_epoch"))
        values["best_epoch"] = None if best is None else int(best)
        values["time"] = str(values.get("time", ""))
        values["ended"] = str(values.get("ended", "reset"))
        curves = values.get("curves") or {}
        if not isinstance(curves, dict):
            raise ValueError("a run's 'curves' is an object of equal-length lists")
        n = len(curves.get("epoch") or [])
        values["curves"] = {name: [_number(v) for v in (curves.get(name) or [None] * n)][:n] for name in CURVES}
        if None in values["curves"]["epoch"]:
            raise ValueError("a run's epochs must all be numbers")
        values["curves"]["epoch"] = [int(e) for e in values["curves"]["epoch"]]
        return cls(**values)

    def curve(self, name: str) -> np.ndarray:
        """One curve as floats (NaN where missing): 'epoch', 'train_loss', 'test_loss', ..."""
        return np.array([np.nan if v is None else v for v in self.curves.get(name, [])], dtype=np.float64)


class RunRecorder:
    """Collects the live run's epochs; `finish()` gives its RunRecord."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.history = LossHistory(max_points=CURVE_POINTS)
        self.best_epoch: int | None = None
        self.epochs_per_second: float | None = None
        self.closed = False

    def add(self, records: Any, best_epoch: int | None = None, epochs_per_second: float | None = None) -> None:
        """A snapshot's new EpochRecords and the run's best epoch so far."""
        if self.closed:
            return
        self.history.extend(records)
        if best_epoch is not None:
            self.best_epoch = int(best_epoch)
        if epochs_per_second:
            self.epochs_per_second = float(epochs_per_second)

    @property
    def epochs(self) -> int:
        last = self.history.last
        return 0 if last is None else int(last.epoch)

    def finish(self, name: str, ended: str, close: bool = True) -> RunRecord | None:
        """The run as a record (None when it trained no epoch); once closed the recorder ignores more
        epochs (close=False: a stop the user may go on training from)."""
        self.closed = close
        last = self.history.last
        if last is None or last.epoch <= 0:
            return None
        h = self.history
        curves = {"epoch": [int(e) for e in h.epochs], "train_loss": [_number(v) for v in h.train_loss],
                  "test_loss": [_number(v) for v in h.test_loss],
                  "train_accuracy": [_number(v) for v in h.train_acc],
                  "test_accuracy": [_number(v) for v in h.test_acc]}
        best_loss = None
        if self.best_epoch is not None:
            at = np.flatnonzero(h.epochs == self.best_epoch)
            best_loss = _number(h.test_loss[at[-1]]) if len(at) else None
        return RunRecord(name=name, time=time.strftime("%Y-%m-%d %H:%M:%S"), spec=self.spec, ended=ended,
                         epochs=int(last.epoch), train_loss=_number(last.train_loss),
                         test_loss=_number(last.test_loss), train_accuracy=_number(last.train_accuracy),
                         test_accuracy=_number(last.test_accuracy), best_epoch=self.best_epoch,
                         best_test_loss=best_loss, epochs_per_second=self.epochs_per_second, curves=curves)
