"""Small preview pictures of the data sets, for the data panel's buttons and combo box.

The 2-D sets are drawn from core's own generators (numpy only, no torch), so the window can show
them right after the first paint. Tabular sets get a small table glyph.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from app.look import colormaps
from core.spec import TOY_REGRESSION, TOY_SOURCES, DataSource

_BACKGROUND = QColor(246, 247, 248)
_POINTS = 220


def _canvas(size: int) -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(_BACKGROUND)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


@lru_cache(maxsize=64)
def dataset_thumbnail(source: DataSource, size: int = 56) -> QPixmap:
    """A size×size preview: the set's points coloured by class (or value), or a table glyph."""
    if source in TOY_SOURCES:
        return _toy_thumbnail(source, size)
    return _table_thumbnail(source, size)


def dataset_icon(source: DataSource, size: int = 20) -> QIcon:
    return QIcon(dataset_thumbnail(source, size))


def _toy_thumbnail(source: DataSource, size: int) -> QPixmap:
    from core.data import toy

    points, labels = toy.generate(source, _POINTS, 0.0, seed=7)
    lut = colormaps.lut_to_argb32(colormaps.diverging_lut())
    if source in TOY_REGRESSION:
        peak = float(np.max(np.abs(labels))) or 1.0
        packed = colormaps.values_to_argb32(labels, lut, -peak, peak)
    else:
        packed = colormaps.values_to_argb32(labels.astype(np.float32), lut, 0.0, 1.0)
    pixmap, p = _canvas(size)
    p.setPen(Qt.PenStyle.NoPen)
    radius = max(1.2, size / 36.0)
    scale = size / 12.4
    for (x, y), colour in zip(points, packed):
        p.setBrush(QColor.fromRgba(int(colour)))
        p.drawEllipse(QPointF((x + 6.2) * scale, (6.2 - y) * scale), radius, radius)
    p.end()
    return pixmap


def _table_thumbnail(source: DataSource, size: int) -> QPixmap:
    pixmap, p = _canvas(size)
    s = float(size)
    p.setPen(QPen(QColor(150, 158, 166), max(1.0, s / 40)))
    p.setBrush(QColor(255, 255, 255))
    rect = QRectF(s * 0.16, s * 0.2, s * 0.68, s * 0.6)
    p.drawRoundedRect(rect, s * 0.05, s * 0.05)
    header = QColor(*colormaps.POSITIVE_RGB) if source != DataSource.csv else QColor(*colormaps.NEGATIVE_RGB)
    p.fillRect(QRectF(rect.left() + 1, rect.top() + 1, rect.width() - 2, rect.height() * 0.22), header)
    for k in (1, 2):
        y = rect.top() + rect.height() * (0.22 + 0.26 * k)
        p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
    x = rect.left() + rect.width() * 0.4
    p.drawLine(QPointF(x, rect.top() + rect.height() * 0.22), QPointF(x, rect.bottom()))
    p.end()
    return pixmap
