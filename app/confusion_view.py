"""The confusion matrix on the test set: rows are the true class, columns the predicted one."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import colormaps

_BLUE = QColor(*colormaps.POSITIVE_RGB)
_ORANGE = QColor(*colormaps.NEGATIVE_RGB)


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

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        m = self.matrix
        if m is None or m.size == 0:
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)
            return
        n = m.shape[0]
        names = self.class_names if len(self.class_names) == n else tuple(str(i) for i in range(n))
        label_w = min(70.0, max(22.0, 7.0 * max(len(s) for s in names)))
        top = 18.0
        size = min(self.width() - label_w - 4, self.height() - top - 4)
        if size <= 10:
            return
        cell = size / n
        left = label_w + max(0.0, (self.width() - label_w - size) / 2)  # centre the matrix
        row_totals = m.sum(axis=1, keepdims=True).astype(float)
        share = np.divide(m, row_totals, out=np.zeros(m.shape, dtype=float), where=row_totals > 0)
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, min(10.0, cell / 3.2)))
        painter.setFont(font)
        painter.setPen(QColor(90, 90, 90))
        painter.drawText(QRectF(left - label_w, 0, size + 2 * label_w, top), Qt.AlignmentFlag.AlignCenter,
                         "predicted →")
        for i in range(n):
            painter.setPen(QColor(90, 90, 90))
            painter.drawText(QRectF(left - label_w, top + i * cell, label_w - 4, cell),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, names[i])
            for j in range(n):
                base = _BLUE if i == j else _ORANGE
                alpha = int(25 + 230 * share[i, j]) if m[i, j] else 12
                colour = QColor(base)
                colour.setAlpha(alpha)
                rect = QRectF(left + j * cell, top + i * cell, cell - 1, cell - 1)
                painter.fillRect(rect, colour)
                if cell >= 16:
                    painter.setPen(QColor(255, 255, 255) if share[i, j] > 0.55 else QColor(50, 50, 50))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(m[i, j])))
