"""How the network diagram looks: link pens by weight, neuron fills, labels and the hover outline.

Plain QPainter calls over the geometry of `app.network.geometry`; the canvas decides when to paint
(render cache, throttling) and this module what a paint draws.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen, QTransform

from app.look import colormaps
from app.network import neuron_images
from app.network.geometry import HEADER_TOP, MAX_DRAWN, Column, Links

LINK_COLOUR_LEVELS = 65
LINK_MAX_WEIGHT = 4.0

BACKGROUND = QColor(255, 255, 255)
BORDER = QColor(196, 201, 207)
HOVER = QColor(40, 44, 52)
TEXT = QColor(60, 64, 72)
MUTED = QColor(128, 134, 142)
EMPTY_NODE = QColor(241, 243, 245)
EMPTY_LINK = QColor(214, 218, 223)
_LINK_LUT32 = colormaps.lut_to_argb32(colormaps.diverging_lut())


def link_keys(weights: np.ndarray) -> np.ndarray:
    """Quantised look of each link: colour level (by sign and size, saturating at |w| = 1) and
    width level (|w| in quarter steps, clamped at 4). Equal keys draw identically, so a snapshot
    whose keys did not change needs no re-render."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    colour = np.rint((np.clip(w, -1.0, 1.0) + 1.0) * 0.5 * (LINK_COLOUR_LEVELS - 1)).astype(np.int64)
    width = np.rint(np.minimum(np.abs(w), LINK_MAX_WEIGHT) * 4.0).astype(np.int64)
    return colour * 64 + width


def link_pen(key: int) -> QPen:
    """The pen of a link key: diverging colour (orange < 0 < blue, faint near 0), width by |w|."""
    colour, width = divmod(int(key), 64)
    argb = int(_LINK_LUT32[round(colour * (len(_LINK_LUT32) - 1) / (LINK_COLOUR_LEVELS - 1))])
    pen = QPen(QColor.fromRgba(argb), 0.7 + 1.5 * width / 4.0)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def bias_fills(biases: list[np.ndarray] | None) -> dict[int, list[QColor]]:
    """Column index -> bias colours: what a neuron shows when there is no grid (tabular data)."""
    fills = {}
    for k, bias in enumerate(biases or ()):
        shown = np.asarray(bias)[:MAX_DRAWN]
        argb = colormaps.values_to_argb32(shown, _LINK_LUT32, -1.0, 1.0).tolist()
        fills[k + 1] = [QColor.fromRgba(a) for a in argb]
    return fills


class DiagramPainter:
    """Draws the diagram's parts; keeps the pens by link key, so a redraw builds no pens."""

    def __init__(self) -> None:
        self._pens: dict[int, QPen] = {}

    def pen(self, key: int) -> QPen:
        pen = self._pens.get(key)
        if pen is None:
            pen = self._pens[key] = link_pen(key)
        return pen

    def paint_links(self, painter: QPainter, links: Links, keys: np.ndarray | None) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if keys is None:
            painter.setPen(QPen(EMPTY_LINK, 1.0))
            for path in links.paths:
                painter.drawPath(path)
            return
        pen_of = self.pen
        set_pen, draw = painter.setPen, painter.drawPath
        for key, path in zip(keys.tolist(), links.paths):
            set_pen(pen_of(key))
            draw(path)

    def paint_hover(self, painter: QPainter, links: Links, keys: np.ndarray | None, hover_link: int | None,
                    columns: list[Column], hover_node: tuple[int, int] | None, planar: bool,
                    node: float) -> None:
        if hover_link is not None and hover_link < len(links.paths):
            width = self.pen(int(keys[hover_link])).widthF() if keys is not None else 1.0
            pen = QPen(HOVER, width + 1.5)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(links.paths[hover_link])
        if hover_node is not None:
            c, u = hover_node
            rect = columns[c].rects[u].adjusted(-2, -2, 2, 2)
            painter.setPen(QPen(HOVER, 2.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if planar or columns[c].pictures:
                radius = max(3.0, node * 0.14) + 1
                painter.drawRoundedRect(rect, radius, radius)
            else:
                painter.drawEllipse(rect)


def paint_nodes(painter: QPainter, columns: list[Column], node: float, planar: bool,
                images: dict[int, neuron_images.ImageSet], fills: dict[int, list[QColor]]) -> None:
    """Each drawn neuron: its thumbnail (planar data), else its bias colour, else an empty fill."""
    radius = max(3.0, node * 0.14)
    border = QPen(BORDER, 1.0)
    for c, column in enumerate(columns):
        shown = images.get(c) if planar else None
        colours = fills.get(c)
        square = planar or column.pictures
        for u, rect in enumerate(column.rects):
            painter.setPen(border)
            if shown is not None and u < len(shown.images):
                image = shown.images[u]
                brush = QBrush(image)
                transform = QTransform()
                transform.translate(rect.left(), rect.top())
                transform.scale(rect.width() / image.width(), rect.height() / image.height())
                brush.setTransform(transform)
                painter.setBrush(brush)
            elif colours is not None and u < len(colours):
                painter.setBrush(colours[u])
            else:
                painter.setBrush(EMPTY_NODE)
            if square:
                painter.drawRoundedRect(rect, radius, radius)
            else:
                painter.drawEllipse(rect)


def count_text(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def output_subtitle(n_outputs: int, regression: bool) -> str:
    if n_outputs > 1:  # a regression head of several values is an autoencoder's reconstruction
        return f"{n_outputs} values" if regression else f"{n_outputs} classes"
    return "value" if regression else "P(class 1)"


def paint_labels(painter: QPainter, font: QFont, small: QFont, columns: list[Column], label_width: float,
                 right_width: float, output_caption: str, input_caption: str = "") -> None:
    """Input names left, output names right, the two column titles and the '+N more' captions."""
    metrics = QFontMetrics(font)
    painter.setPen(TEXT)
    first, last = columns[0], columns[-1]
    for rect, label in zip(first.rects, first.labels):
        text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(label_width - 8))
        box = QRectF(rect.left() - label_width - 4, rect.top(), label_width, rect.height())
        painter.drawText(box, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
    for rect, label in zip(last.rects, last.labels):
        text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(right_width))
        box = QRectF(rect.right() + 8, rect.top(), right_width + 4, rect.height())
        painter.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
    title_font = QFont(font)
    title_font.setBold(True)
    for column, title, sub in ((first, "Inputs", input_caption or count_text(first.total, "feature")),
                               (last, "Output", output_caption)):
        box = QRectF(column.x - 60, HEADER_TOP + 4, 120, 20)
        painter.setFont(title_font)
        painter.setPen(TEXT)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), title)
        painter.setFont(small)
        painter.setPen(MUTED)
        painter.drawText(box.translated(0, 20), int(Qt.AlignmentFlag.AlignCenter), sub)
    painter.setFont(small)
    painter.setPen(MUTED)
    for column in columns:
        if column.hidden_count and column.rects:
            box = QRectF(column.x - 40, column.rects[-1].bottom() + 4, 80, 18)
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), f"+{column.hidden_count} more")
