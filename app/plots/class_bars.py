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


class ClassBars(QWidget):
    """Bars from 0 to 1, one row per class name; the highlighted row is drawn in orange."""

    def __init__(self, name: str, accessible: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setToolTip(tip)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.names: tuple[str, ...] = ()
        self.values: np.ndarray | None = None
        self.highlight: int | None = None

    def set_classes(self, names: tuple[str, ...]) -> None:
        self.names = tuple(names)
        self.values = None
        self.setFixedHeight(max(1, len(self.names)) * ROW + 4)
        self.update()

    def set_values(self, values: np.ndarray | None, highlight: int | None = None) -> None:
        """Values in 0..1, one per class (None: empty bars)."""
        self.values = None if values is None else np.asarray(values, np.float64).copy()
        self.highlight = highlight
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(180, self.height())

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        metrics = QFontMetricsF(self.font())
        label_w = min(90.0, max((metrics.horizontalAdvance(n) for n in self.names), default=10.0) + 6)
        value_w = metrics.horizontalAdvance("100%") + 6
        bar_w = max(10.0, self.width() - label_w - value_w - 4)
        for i, name in enumerate(self.names):
            top = 2 + i * ROW
            painter.setPen(_TEXT)
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 6)
            painter.drawText(QRectF(0, top, label_w - 4, ROW), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
            track = QRectF(label_w, top + 3, bar_w, ROW - 6)
            painter.fillRect(track, _TRACK)
            if self.values is not None and i < len(self.values) and np.isfinite(self.values[i]):
                value = float(np.clip(self.values[i], 0.0, 1.0))
                painter.fillRect(QRectF(track.left(), track.top(), bar_w * value, track.height()),
                                 _TOP if i == self.highlight else _BAR)
                painter.drawText(QRectF(label_w + bar_w + 4, top, value_w, ROW),
                                 int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), f"{value:.0%}")
        painter.end()
