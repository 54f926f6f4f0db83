"""sequenceView: the focused test sequence over time, its target and the network's prediction, the
prediction after every step (probability of a class for classification) and, for next-value sets,
the network's free-running continuation (its own predictions fed back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg

from app.look import colormaps

_GREY = (110, 115, 122)
_BLUE = colormaps.POSITIVE_RGB
_ORANGE = colormaps.NEGATIVE_RGB


def _span(text: str, rgb: tuple[int, int, int]) -> str:
    return f"<span style='color:#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}'>{text}</span>"


class SequenceView(pg.PlotWidget):
    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent, background="w")
        self.setObjectName("sequenceView")
        self.setAccessibleName("Focused sequence")
        self.setToolTip("The selected test sequence (grey), its target and the network's prediction. "
                        "Orange (fed back): the network continuing the series on its own, fed its own "
                        "predictions.")
        self.setMinimumSize(200, 100)
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("bottom", "time step")
        item.setMenuEnabled(False)
        self.input_curve = item.plot([], [], pen=pg.mkPen(_GREY, width=1.5), symbol="o", symbolSize=3,
                                     symbolPen=None, symbolBrush=_GREY)
        self.over_time = item.plot([], [], pen=pg.mkPen(_BLUE, width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.continuation = item.plot([], [], pen=pg.mkPen(_ORANGE, width=2))
        self.target = item.plot([], [], pen=None, symbol="s", symbolSize=9, symbolBrush=(40, 40, 40))
        self.prediction = item.plot([], [], pen=None, symbol="o", symbolSize=9, symbolBrush=_BLUE)
        for curve in (self.input_curve, self.over_time, self.continuation):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        self.shown: Mapping[str, Any] | None = None

    def clear_view(self) -> None:
        for curve in (self.input_curve, self.over_time, self.continuation, self.target, self.prediction):
            curve.setData([], [])
        self.shown = None

    def show_view(self, view: Mapping[str, Any]) -> None:
        """Draw one snapshot's sequence probe (see core.training.sequence_probe.collect)."""
        self.shown = view
        x = np.asarray(view["input"], np.float32)
        steps = len(x)
        t = np.arange(1, steps + 1)
        self.input_curve.setData(t, x[:, 0], skipFiniteCheck=True)
        regression = view.get("task") == "regression"
        # the title doubles as the legend: a legend box would cover the curves on a small screen
        parts = [("input", _GREY), ("target ■", (40, 40, 40)), ("prediction ●", _BLUE)] if regression else \
            [("input", _GREY), ("P(class) after each step", _BLUE)]
        if view.get("continuation") is not None:
            parts.append(("fed back", _ORANGE))
        self.getPlotItem().setTitle(" ".join(_span(text, rgb) for text, rgb in parts), size="8pt")
        over = view.get("prediction_over_time")
        if over is not None:
            over = np.asarray(over)
            if over.ndim == 2:  # classes: the probability of the finally predicted class
                over = over[:, int(np.argmax(over[-1]))]
            # a next-value net's prediction after step t is its guess for step t + 1
            self.over_time.setData(t + 1 if regression else t, over, skipFiniteCheck=True)
        else:
            self.over_time.setData([], [])
        continuation = view.get("continuation")
        if continuation is not None and len(continuation):
            self.continuation.setData(np.arange(steps + 1, steps + 1 + len(continuation)), continuation,
                                      skipFiniteCheck=True)
        else:
            self.continuation.setData([], [])
        target = view.get("target")
        if regression:
            self.target.setData([steps + 1], [target] if target is not None else [])
            self.prediction.setData([steps + 1], [float(view["prediction"])])
        else:
            self.target.setData([], [])
            self.prediction.setData([], [])
