"""Play, pause, step, reset and a few other icons drawn with QPainter, so they look the same on every
platform and style, and scale crisply on high-DPI screens."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

_INK = QColor(255, 255, 255)


def _canvas(size: int) -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


@lru_cache(maxsize=None)
def icon(name: str, size: int = 24, colour: str = "#ffffff") -> QIcon:
    """A named icon: play, pause, step, reset, plus, minus, regenerate."""
    pixmap, p = _canvas(size)
    ink = QColor(colour)
    s = float(size)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(ink)
    if name == "play":
        path = QPainterPath(QPointF(s * 0.32, s * 0.2))
        path.lineTo(s * 0.82, s * 0.5)
        path.lineTo(s * 0.32, s * 0.8)
        path.closeSubpath()
        p.drawPath(path)
    elif name == "pause":
        p.drawRoundedRect(QRectF(s * 0.26, s * 0.2, s * 0.17, s * 0.6), 1.5, 1.5)
        p.drawRoundedRect(QRectF(s * 0.57, s * 0.2, s * 0.17, s * 0.6), 1.5, 1.5)
    elif name == "step":
        path = QPainterPath(QPointF(s * 0.22, s * 0.22))
        path.lineTo(s * 0.62, s * 0.5)
        path.lineTo(s * 0.22, s * 0.78)
        path.closeSubpath()
        p.drawPath(path)
        p.drawRect(QRectF(s * 0.66, s * 0.22, s * 0.12, s * 0.56))
    elif name in ("reset", "regenerate"):
        pen = QPen(ink, s * 0.11)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(s * 0.22, s * 0.22, s * 0.56, s * 0.56)
        p.drawArc(rect, 60 * 16, 290 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ink)
        head = QPainterPath(QPointF(s * 0.52, s * 0.08))
        head.lineTo(s * 0.74, s * 0.24)
        head.lineTo(s * 0.5, s * 0.36)
        head.closeSubpath()
        p.drawPath(head)
    elif name in ("plus", "minus"):
        p.drawRoundedRect(QRectF(s * 0.2, s * 0.44, s * 0.6, s * 0.12), 1, 1)
        if name == "plus":
            p.drawRoundedRect(QRectF(s * 0.44, s * 0.2, s * 0.12, s * 0.6), 1, 1)
    p.end()
    return QIcon(pixmap)
