"""Kept runs drawn over the live loss curves: each ticked run's test loss (and test accuracy) as a
dashed line in its own colour, named in the plot's legend. The loss plot owns one RunOverlays and
redraws it on refresh, so the log axes and the epoch views apply to the overlays too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from app.look.plotting import pg


class RunOverlays:
    """The overlaid runs of one LossPlot: `set_runs([(RunRecord, rgb), ...])`."""

    def __init__(self, plot: Any) -> None:
        self.plot = plot
        self.runs: list[tuple[Any, tuple[int, int, int]]] = []
        self._items: list[Any] = []

    @property
    def names(self) -> list[str]:
        return [run.name for run, _ in self.runs]

    def set_runs(self, runs: list) -> None:
        self.runs = list(runs)
        for i, item in enumerate(self._items):
            (self.plot.loss_item if i % 2 == 0 else self.plot.acc_item).removeItem(item)
        self._items = []
        for run, colour in self.runs:
            pen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
            self._items.append(self.plot.loss_item.plot(pen=pen, name=run.name, antialias=False))
            self._items.append(self.plot.acc_item.plot(pen=pen, name=run.name, antialias=False))

    def draw(self) -> None:
        """Send each run's curves, shaped like the live ones (log loss, log or recent epochs)."""
        for i, (run, _colour) in enumerate(self.runs):
            x = run.curve("epoch")
            loss, acc = run.curve("test_loss"), run.curve("test_accuracy")
            if self.plot.log_scale:
                loss = np.maximum(loss, 1e-12)
            if self.plot.epoch_view == "log":
                keep = x >= 1
                x, loss, acc = x[keep], loss[keep], acc[keep]
            self._items[2 * i].setData(x, loss, connect="finite")
            self._items[2 * i + 1].setData(x, acc if self.plot.show_accuracy else x * np.nan, connect="finite")

    def extent(self) -> tuple[float, np.ndarray]:
        """The last epoch and the finite test losses of the overlaid runs (for the plot's ranges)."""
        if not self.runs:
            return 0.0, np.empty(0)
        last = max((float(np.nanmax(run.curve("epoch"))) for run, _ in self.runs if len(run.curve("epoch"))),
                   default=0.0)
        losses = np.concatenate([run.curve("test_loss") for run, _ in self.runs])
        return last, losses[np.isfinite(losses)]
