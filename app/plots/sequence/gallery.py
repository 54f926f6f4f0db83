"""sequenceGallery: small plots of the first test sequences, each titled with the predicted class;
wrong predictions are drawn red with the true class named. Clicking one focuses it (the other
sequence views then show it)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from app.look import colormaps

SHOWN = 12
COLUMNS = 4
_RED = (214, 39, 40)
_GREY = (90, 95, 100)


class SequenceGallery(pg.GraphicsLayoutWidget):
    focusRequested = Signal(int)  # a test row

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("sequenceGallery")
        self.setAccessibleName("Test sequences")
        self.setToolTip("Test sequences with the predicted class; red ones are predicted wrong (the true class "
                        "in brackets). Click one to show it in the other views.")
        self.setBackground("w")
        self.setMinimumSize(220, 140)
        self.plots: list[pg.PlotItem] = []
        self.curves: list[pg.PlotDataItem] = []
        self.class_names: tuple[str, ...] = ()
        self.labels = np.zeros(0, np.int64)
        self.focused = 0
        self.wrong = np.zeros(0, bool)
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_sequences(self, sequences: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> None:
        """The test sequences (n, T) and their true classes; draws the first SHOWN of them."""
        self.clear()
        self.plots, self.curves = [], []
        self.class_names = tuple(class_names)
        self.labels = np.asarray(labels).astype(np.int64)[:SHOWN]
        self.wrong = np.zeros(len(self.labels), bool)
        for i, row in enumerate(np.asarray(sequences, np.float32)[:SHOWN]):
            plot = self.addPlot(row=i // COLUMNS, col=i % COLUMNS)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            self.curves.append(plot.plot(np.arange(len(row)), row, pen=pg.mkPen(_GREY, width=1.2)))
            plot.setTitle(self.class_names[self.labels[i]] if len(self.class_names) else "", size="7pt")
            self.plots.append(plot)
        self._mark_focus()

    def set_predictions(self, predicted: np.ndarray | None) -> None:
        """Title each plot with its predicted class; wrong ones red, with the true class in brackets."""
        if predicted is None or not self.plots:
            return
        predicted = np.asarray(predicted)[:len(self.plots)]
        self.wrong = predicted != self.labels[:len(predicted)]
        for i, (plot, curve, guess) in enumerate(zip(self.plots, self.curves, predicted)):
            name = self.class_names[int(guess)] if int(guess) < len(self.class_names) else str(int(guess))
            if self.wrong[i]:
                plot.setTitle(f"<span style='color:#d62728'>✗ {name} ({self.class_names[self.labels[i]]})</span>",
                              size="7pt")
                curve.setPen(pg.mkPen(_RED, width=1.4))
            else:
                plot.setTitle(name, size="7pt")
                curve.setPen(pg.mkPen(_GREY, width=1.2))
        self._mark_focus()

    def _mark_focus(self) -> None:
        for i, plot in enumerate(self.plots):
            vb = plot.getViewBox()
            vb.setBorder(pg.mkPen(colormaps.POSITIVE_RGB, width=2) if i == self.focused else None)

    def set_focused(self, index: int) -> None:
        self.focused = int(index)
        self._mark_focus()

    def _clicked(self, event) -> None:  # noqa: ANN001 - pyqtgraph's mouse event
        for i, plot in enumerate(self.plots):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                self.set_focused(i)
                self.focusRequested.emit(i)
                return
