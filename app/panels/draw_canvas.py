"""Draw your own input: a small canvas at the data's resolution (8×8 for digits), painted with a soft
brush in the data's value range (digits 0..16), like the MNIST demos. Every stroke emits the
picture (C, H, W) in the data's units; the owner makes it the focused sample."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.network.feature_maps import input_pixels

BRUSH_STRENGTH = 0.6   # share of the value range one dab adds at the brush centre


class DrawCanvas(QWidget):
    """A square canvas of H × W pixels; left button paints, `clear()` empties it."""

    drawn = Signal(object)   # np.ndarray (C, H, W) float32 in the data's units

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawCanvas")
        self.setAccessibleName("Draw your own image")
        self.setToolTip("Draw with the mouse: the network predicts your drawing, and the network view "
                        "shows its feature maps.")
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(104, 104)
        self.values = np.zeros((1, 8, 8), np.float32)
        self.high = 1.0
        self._image: QImage | None = None
        self._pixels = np.zeros((8, 8), np.uint32)

    def set_shape(self, shape: tuple[int, int, int], high: float) -> None:
        """Blank canvas of `shape` (C, H, W) painting up to `high` (the data's largest value)."""
        self.values = np.zeros(tuple(int(n) for n in shape), np.float32)
        self.high = float(high) if high > 0 else 1.0
        self._refresh()

    def clear(self) -> None:
        self.values[:] = 0.0
        self._refresh()
        self.drawn.emit(self.values.copy())

    def is_blank(self) -> bool:
        return not bool(self.values.any())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(104, 104)

    # --- painting strokes -------------------------------------------------------------------------
    def dab(self, pos: QPointF) -> None:
        """Add one soft dab of ink at `pos` (widget coordinates)."""
        _, h, w = self.values.shape
        px = pos.x() / max(1, self.width()) * w - 0.5
        py = pos.y() / max(1, self.height()) * h - 0.5
        sigma = max(0.55, h / 14.0)  # about one pixel wide on 8×8, a few on 28×28
        ys, xs = np.mgrid[0:h, 0:w]
        ink = np.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * sigma * sigma)).astype(np.float32)
        self.values = np.minimum(self.high, self.values + self.high * BRUSH_STRENGTH * ink[None])

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._stroke(event.position())
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._stroke(event.position())
            return
        super().mouseMoveEvent(event)

    def _stroke(self, pos: QPointF) -> None:
        self.dab(pos)
        self._refresh()
        self.drawn.emit(self.values.copy())

    def _refresh(self) -> None:
        c, h, w = self.values.shape
        shown = self.values.mean(axis=0) if c > 1 else self.values[0]
        # the ink scale is the data's range, not the drawing's own maximum
        self._pixels = np.ascontiguousarray(input_pixels(shown[None], high=self.high)[0])
        self._image = QImage(self._pixels.data, w, h, 4 * w, QImage.Format.Format_ARGB32)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802
        painter = QPainter(self)
        if self._image is not None:
            painter.drawImage(QRectF(self.rect()), self._image)
        _, h, w = self.values.shape
        painter.setPen(QPen(QColor(0, 0, 0, 18), 1.0))
        if w <= 16:  # a faint pixel grid where pixels are big enough to see
            for i in range(1, w):
                x = i * self.width() / w
                painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
            for j in range(1, h):
                y = j * self.height() / h
                painter.drawLine(QPointF(0, y), QPointF(self.width(), y))
        painter.setPen(QPen(QColor(150, 156, 164), 1.0))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()
