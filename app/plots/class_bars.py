"""One labelled horizontal bar per class: the class probabilities of one image, or the per-class
accuracy on the test set. Plain QPainter; `values` keeps what is shown (tests read it)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.look import colormaps

_BAR = QColor(*colormaps.POSITIVE_RGB)
_TOP = QColor(*colormaps.NEGATIVE_RGB)    # the highlighted class (the prediction)
_TRACK = QColor(236, 238, 241)
_TEXT = QColor(60, 64, 72)
ROW = 15
COLUMN_HEIGHT = 30


class ClassBars(QWidget):
    """Bars from 0 to 1, one row per class name; the highlighted row is drawn in orange."""

    def __init__(self, name: str, accessible: str, tip: str, parent: QWidget | None = None, *,
                 row: float = ROW, top: float = 2.0, title: str = "", labels: bool = True,
                 columns: bool = False) -> None:
        """`row`/`top` place the rows (e.g. level with a confusion matrix's rows, `labels` False then:
        its row names say which class), `title` is drawn in the top margin."""
        super().__init__(parent)
        self.row, self.top, self.title, self.labels = float(row), float(top), title, labels
        self.columns = columns  # one upright bar per class, `row` wide from x = `top` (under a matrix)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setToolTip(tip)
        self.tip_text = tip
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.names: tuple[str, ...] = ()
        self.values: np.ndarray | None = None
        self._shown: np.ndarray | None = None   # the values as last painted, in whole percent
        self.highlight: int | None = None

    def set_classes(self, names: tuple[str, ...]) -> None:
        self.names = tuple(names)
        self.values = self._shown = None
        if self.columns:
            self.setFixedHeight(COLUMN_HEIGHT)
        else:
            self.setFixedHeight(int(self.top + max(1, len(self.names)) * self.row + 4))
        self.update()

    def set_values(self, values: np.ndarray | None, highlight: int | None = None) -> None:
        """Values in 0..1, one per class (None: empty bars)."""
        new = None if values is None else np.asarray(values, np.float64).copy()
        # shown in whole percent (the text, and about a pixel of bar): a smaller change is not seen
        shown = None if new is None else np.round(new * 100)
        same = (shown is None and self._shown is None) or (
            shown is not None and self._shown is not None and shown.shape == self._shown.shape
            and np.array_equal(shown, self._shown, equal_nan=True))
        self.values = new
        if same and highlight == self.highlight:
            return  # nothing a viewer could see changed: no repaint
        self._shown = shown
        self.highlight = highlight
        if self.values is not None and self.columns:
            self.setToolTip(f"{self.tip_text}\n" + ", ".join(
                f"{name}: {value:.0%}" for name, value in zip(self.names, self.values) if np.isfinite(value)))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(180 if self.labels else 72, self.height())

    def set_rows(self, top: float, row: float) -> None:
        self.top, self.row = float(top), float(row)
        self.set_classes(self.names)

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.columns:
            self._paint_columns(painter)
            painter.end()
            return
        metrics = QFontMetricsF(self.font())
        label_w = min(90.0, max((metrics.horizontalAdvance(n) for n in self.names), default=10.0) + 6) \
            if self.labels else 0.0
        value_w = metrics.horizontalAdvance("100%") + 6
        bar_w = max(10.0, self.width() - label_w - value_w - 4)
        row = self.row
        if self.title:
            painter.setPen(_TEXT)
            painter.drawText(QRectF(0, 0, self.width(), self.top), int(Qt.AlignmentFlag.AlignCenter), self.title)
        for i, name in enumerate(self.names):
            top = self.top + i * row
            painter.setPen(_TEXT)
            if self.labels:
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 6)
                painter.drawText(QRectF(0, top, label_w - 4, row),
                                 int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
            track = QRectF(label_w, top + row * 0.2, bar_w, row * 0.6)
            painter.fillRect(track, _TRACK)
            if self.values is not None and i < len(self.values) and np.isfinite(self.values[i]):
                value = float(np.clip(self.values[i], 0.0, 1.0))
                painter.fillRect(QRectF(track.left(), track.top(), bar_w * value, track.height()),
                                 _TOP if i == self.highlight else _BAR)
                painter.drawText(QRectF(label_w + bar_w + 4, top, value_w, row),
                                 int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), f"{value:.0%}")
        painter.end()

    def _paint_columns(self, painter: QPainter) -> None:
        """Upright bars, one `row`-wide cell per class starting at x = `top`, with the title left of them."""
        height = self.height() - 4
        if self.title:
            painter.setPen(_TEXT)
            painter.drawText(QRectF(0, 0, max(0.0, self.top - 4), height),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), self.title)
        for i in range(len(self.names)):
            cell = QRectF(self.top + i * self.row + 1.5, 2, self.row - 3, height)
            painter.fillRect(cell, _TRACK)
            if self.values is not None and i < len(self.values) and np.isfinite(self.values[i]):
                value = float(np.clip(self.values[i], 0.0, 1.0))
                painter.fillRect(QRectF(cell.left(), cell.bottom() - cell.height() * value, cell.width(),
                                        cell.height() * value), _BAR)
