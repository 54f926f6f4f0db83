"""The confusion matrix on the test set: rows are the true class, columns the predicted one.

Painted into an image kept between paints: a new matrix repaints only the cells whose count changed
(a cell's look depends on its count alone: the row totals are the test set's, fixed), so late in
training, when few counts move, a snapshot costs a few cells, not the whole matrix.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.look import colormaps

_BLUE = QColor(*colormaps.POSITIVE_RGB)
_ORANGE = QColor(*colormaps.NEGATIVE_RGB)
_TOP = 18.0     # room for the "predicted →" caption
_TRUE_CAPTION = "true ↓"
MIN_CELL = 16   # px: below this the counts no longer fit (the tooltip still tells them)


def count_text(count: int, width: float, metrics: QFontMetricsF) -> str:
    """The count as it fits in `width` px: in full if it can, else shortened (12.3k, 457k, 1.2M);
    the tooltip always tells it exactly."""
    text = str(count)
    if metrics.horizontalAdvance(text) <= width:
        return text
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= scale:
            value = count / scale
            candidates = [f"{value:.1f}{unit}", f"{value:.0f}{unit}"] if value < 100 else [f"{value:.0f}{unit}"]
            for short in candidates:
                if metrics.horizontalAdvance(short) <= width:
                    return short
            return candidates[-1]
    return text


def fitted_counts(matrix: np.ndarray, cell: float, base: QFont) -> tuple[QFont, list[list[str]]]:
    """The counts' font and texts for cells `cell` px wide: the cell-sized font, shortened counts
    where needed, and a smaller font (down to 6 pt) only if even those do not fit."""
    width = cell - 3  # a little air each side of the text
    font = QFont(base)
    size = max(6.5, min(10.0, cell / 2.6))
    values, where = np.unique(np.asarray(matrix, np.int64), return_inverse=True)  # each count measured once
    while True:
        font.setPointSizeF(size)
        metrics = QFontMetricsF(font)
        shown = [count_text(int(v), width, metrics) for v in values]
        if size <= 6.0 or all(metrics.horizontalAdvance(t) <= width for t in set(shown)):
            texts = [[shown[k] for k in row] for row in np.reshape(where, np.shape(matrix)).tolist()]
            return font, texts
        size = max(6.0, size - 0.5)


class ConfusionView(QWidget):
    """Counts per (true, predicted) pair; the diagonal (right answers) in blue, mistakes in orange."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionView")
        self.setAccessibleName("Confusion matrix")
        self.setToolTip("How often each true class (row) was predicted as each class (column) on the "
                        "test set: a perfect network fills only the diagonal.")
        self.setMinimumSize(120, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.matrix: np.ndarray | None = None
        self.class_names: tuple[str, ...] = ()
        self.note = "Train to see which classes get confused."
        self._geometry: tuple[float, float, float, int] | None = None  # left, top, cell, n as last painted
        self._image: QImage | None = None       # the matrix as last painted (transparent where empty)
        self._image_key: tuple | None = None    # what the whole image depends on (size, names, font)
        self._image_matrix: np.ndarray | None = None
        self.cells_painted = 0                  # cells painted so far (tests: an unchanged cell is not)

    def set_classes(self, names: tuple[str, ...], note: str = "") -> None:
        self.class_names = tuple(str(n) for n in names)
        self.matrix = None
        self.note = note or ("Train to see which classes get confused." if names else
                             "Regression has no classes: see the loss curves.")
        self.update()

    def set_matrix(self, matrix: np.ndarray | None) -> bool:
        """Show a new matrix; False (no repaint) when it equals the one shown."""
        if matrix is None:
            return False
        matrix = np.asarray(matrix)
        if self.matrix is not None and self.matrix.shape == matrix.shape and np.array_equal(self.matrix, matrix):
            return False
        self.matrix = matrix.copy()
        self.update()
        return True

    @staticmethod
    def cell_size(n_classes: int) -> float:
        """Side of one cell: big for a few classes, never below what a two-digit count needs."""
        return float(max(MIN_CELL, min(34, 100 // max(n_classes, 1) + 6)))

    @classmethod
    def height_for(cls, n_classes: int) -> int:
        """The height that shows an n-class matrix with readable counts."""
        n = max(n_classes, 2)
        return int(_TOP + n * cls.cell_size(n) + 6)

    def _label_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(8.0)
        return font

    def label_width(self, names: tuple[str, ...]) -> float:
        """Room for the row labels (class names, at most 90 px) and the "true" caption: above the labels
        when they are wide enough, else turned on its side left of them (short names such as digits)."""
        metrics = QFontMetricsF(self._label_font())
        widest = max([metrics.horizontalAdvance(s) for s in names] or [0.0]) + 8
        if widest >= metrics.horizontalAdvance(_TRUE_CAPTION) + 4:
            return min(90.0, widest)
        return widest + metrics.height() + 2

    def _true_caption_on_side(self, names: tuple[str, ...]) -> bool:
        metrics = QFontMetricsF(self._label_font())
        widest = max([metrics.horizontalAdvance(s) for s in names] or [0.0]) + 8
        return widest < metrics.horizontalAdvance(_TRUE_CAPTION) + 4

    def size_for(self, names: tuple[str, ...]) -> QSize:
        """The size that shows these classes' matrix with readable counts."""
        n = max(len(names), 2)
        return QSize(int(self.label_width(tuple(names)) + n * self.cell_size(n) + 8), self.height_for(n))

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(true class, predicted class) under a point of the widget, None outside the cells."""
        if self._geometry is None:
            return None
        left, top, cell, n = self._geometry
        j, i = int((x - left) // cell), int((y - top) // cell)
        if x < left or y < top or not (0 <= i < n and 0 <= j < n):
            return None
        return i, j

    def describe_cell(self, i: int, j: int) -> str:
        """'true 3, predicted 8: 2 test rows (2% of true 3), wrong' for a tooltip."""
        m = self.matrix
        if m is None or not (0 <= i < m.shape[0] and 0 <= j < m.shape[1]):
            return ""
        names = self._names(m.shape[0])
        total = int(m[i].sum())
        share = f" ({m[i, j] / total:.0%} of true {names[i]})" if total else ""
        verdict = "right" if i == j else "wrong"
        return f"true {names[i]}, predicted {names[j]}: {int(m[i, j])} test rows{share}, {verdict}"

    def event(self, event) -> bool:  # noqa: ANN001 - over a cell, the tooltip tells its count
        if event.type() == QEvent.Type.ToolTip:
            cell = self.cell_at(event.pos().x(), event.pos().y())
            if cell is not None:
                QToolTip.showText(event.globalPos(), self.describe_cell(*cell), self)
                return True
        return super().event(event)

    def _names(self, n: int) -> tuple[str, ...]:
        return self.class_names if len(self.class_names) == n else tuple(str(i) for i in range(n))

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        painter = QPainter(self)
        m = self.matrix
        self._geometry = None
        if m is None or m.size == 0:
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)
            return
        n = m.shape[0]
        names = self._names(n)
        label_w = self.label_width(names)
        size = min(self.width() - label_w - 4, self.height() - _TOP - 4)
        if size <= 10:
            return
        cell = size / n
        left = label_w + max(0.0, (self.width() - label_w - 4 - size) / 2)  # centre the matrix
        self._geometry = (left, _TOP, cell, n)
        counts, texts = fitted_counts(m, cell, self.font())
        ratio = self.devicePixelRatioF()
        key = (self.width(), self.height(), ratio, names, counts.toString())
        old = self._image_matrix
        if self._image is None or key != self._image_key or old is None or old.shape != m.shape:
            self._image = QImage((self.size() * ratio), QImage.Format.Format_ARGB32_Premultiplied)
            self._image.setDevicePixelRatio(ratio)
            self._image.fill(Qt.GlobalColor.transparent)
            self._image_key = key
            self._paint_captions(names, left, label_w, size, cell)
            changed = [(i, j) for i in range(n) for j in range(n)]
        else:
            changed = [(int(i), int(j)) for i, j in np.argwhere(old != m)]
        if changed:
            self._paint_cells(m, changed, left, cell, counts, texts)
            self._image_matrix = m.copy()
        painter.drawImage(0, 0, self._image)

    def _paint_captions(self, names: tuple[str, ...], left: float, label_w: float, size: float, cell: float) -> None:
        """The captions and the row labels: they change with the size and the classes, not the counts."""
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        small = self._label_font()
        metrics = QFontMetricsF(small)
        painter.setFont(small)
        painter.setPen(QColor(90, 90, 90))
        painter.drawText(QRectF(left, 0, size, _TOP), Qt.AlignmentFlag.AlignCenter, "predicted →")
        if self._true_caption_on_side(names):  # turned 90°, reading upwards, beside the row labels
            painter.save()
            painter.translate(left - label_w, _TOP + size / 2)
            painter.rotate(-90)
            painter.drawText(QRectF(-size / 2, 0, size, metrics.height()), Qt.AlignmentFlag.AlignCenter,
                             "true class")
            painter.restore()
        else:
            painter.drawText(QRectF(0, 0, left - 4, _TOP),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _TRUE_CAPTION)
        for i, name in enumerate(names):
            painter.drawText(QRectF(left - label_w, _TOP + i * cell, label_w - 4, cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 4))
        painter.end()

    def _paint_cells(self, m: np.ndarray, cells: list[tuple[int, int]], left: float, cell: float,
                     counts: QFont, texts: list[list[str]]) -> None:
        """Paint these cells afresh (on whole pixels, so a cell is cleared exactly)."""
        row_totals = m.sum(axis=1, keepdims=True).astype(float)
        share = np.divide(m, row_totals, out=np.zeros(m.shape, dtype=float), where=row_totals > 0)
        painter = QPainter(self._image)
        painter.setFont(counts)
        white, dark = QColor(255, 255, 255), QColor(50, 50, 50)
        edges_x = np.rint(left + np.arange(m.shape[1] + 1) * cell)
        edges_y = np.rint(_TOP + np.arange(m.shape[0] + 1) * cell)
        for i, j in cells:
            rect = QRectF(edges_x[j], edges_y[i], edges_x[j + 1] - edges_x[j] - 1, edges_y[i + 1] - edges_y[i] - 1)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            colour = QColor(_BLUE if i == j else _ORANGE)
            colour.setAlpha(int(25 + 230 * share[i, j]) if m[i, j] else 12)
            painter.fillRect(rect, colour)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            if cell >= MIN_CELL - 1:
                painter.setPen(white if share[i, j] > 0.55 else dark)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, texts[i][j])
        painter.end()
        self.cells_painted += len(cells)
