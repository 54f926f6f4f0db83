"""sequenceGallery: small plots of test sequences (classes taken in turn), each titled with the predicted class;
wrong predictions are drawn red with the true class named. Clicking one focuses it (the other
sequence views then show it)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from app.look import colormaps

SHOWN = 9
COLUMNS = 3
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
        self.setMinimumSize(200, 80)
        self.plots: list[pg.PlotItem] = []
        self.curves: list[pg.PlotDataItem] = []
        self.class_names: tuple[str, ...] = ()
        self.labels = np.zeros(0, np.int64)
        self.focused = 0
        self.wrong = np.zeros(0, bool)
        self.rows = np.zeros(0, np.int64)  # the test row each plot shows
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_sequences(self, sequences: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> None:
        """The test sequences (n, T) and their true classes; draws SHOWN of them, the classes in turn
        (the first rows of a class, then the next class's ...), so every class is seen."""
        self.clear()
        self.plots, self.curves = [], []
        self.class_names = tuple(class_names)
        labels = np.asarray(labels).astype(np.int64)
        self.rows = _rows_by_class_in_turn(labels, SHOWN)
        self.labels = labels[self.rows]
        self.wrong = np.zeros(len(self.labels), bool)
        for i, row in enumerate(np.asarray(sequences, np.float32)[self.rows]):
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
        predicted = np.asarray(predicted)[self.rows]
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

    def set_focused(self, row: int) -> None:
        """Mark the plot of test row `row` (if shown)."""
        hits = np.flatnonzero(self.rows == int(row))
        self.focused = int(hits[0]) if len(hits) else -1
        self._mark_focus()

    def _clicked(self, event) -> None:  # noqa: ANN001 - pyqtgraph's mouse event
        for i, plot in enumerate(self.plots):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                self.focused = i
                self._mark_focus()
                self.focusRequested.emit(int(self.rows[i]))
                return


def _rows_by_class_in_turn(labels: np.ndarray, count: int) -> np.ndarray:
    """Up to `count` row indices taking each class in turn (in row order within a class)."""
    queues = [list(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    rows: list[int] = []
    while len(rows) < min(count, len(labels)):
        for queue in queues:
            if queue and len(rows) < count:
                rows.append(int(queue.pop(0)))
    return np.asarray(sorted(rows), np.int64)
