"""A gallery of test images with the network's predicted class and confidence; wrong ones in a red
frame, the focused one (whose feature maps the network view shows) in a blue frame. Click one to
focus it. Pictures are made once per data set; a snapshot repaints only the cells whose caption
(class, whole percent) or frame changed."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.network.feature_maps import input_pixels

IMAGE = 40          # px per picture
CELL_W = IMAGE + 12
CELL_H = IMAGE + 18  # the caption under the picture
_WRONG = QColor(214, 39, 40)
_FOCUS = QColor(8, 119, 189)
_TEXT = QColor(60, 64, 72)


def image_argb(raw: np.ndarray) -> np.ndarray:
    """(n, C, H, W) raw images -> (n, H, W) uint32 ARGB: grey as ink on paper, RGB as colours."""
    raw = np.asarray(raw, np.float32)
    if raw.shape[1] == 3:
        high = float(raw.max()) or 1.0
        rgb = np.clip(raw / high * 255.0 + 0.5, 0, 255).astype(np.uint32)
        return (0xFF << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    return input_pixels(raw[:, 0])


class ImageGallery(QWidget):
    """The first test images, reflowed to the width; `imageClicked(row)` gives the test row."""

    imageClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageGallery")
        self.setAccessibleName("Test image gallery")
        self.setToolTip("Test images with the predicted class and how sure the network is; a red frame "
                        "marks a wrong prediction. Click one to see its feature maps in the network view.")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.labels = np.zeros(0, np.int64)
        self.class_names: tuple[str, ...] = ()
        self.predicted: np.ndarray | None = None    # (n,) class per image
        self.confidence: np.ndarray | None = None   # (n,) its probability
        self.focused: int | None = 0
        self._pixels = np.zeros((0, 1, 1), np.uint32)
        self._images: list[QImage] = []
        self._pixmaps: list[QPixmap] = []
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        self.cells_painted = 0   # cells painted so far (tests: an unchanged cell is not)

    def set_images(self, raw: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> None:
        """`raw` (n, C, H, W) in the data's units, `labels` their true classes."""
        self._pixels = np.ascontiguousarray(image_argb(raw))
        n, h, w = self._pixels.shape
        self._images = [QImage(self._pixels[i].data, w, h, 4 * w, QImage.Format.Format_ARGB32) for i in range(n)]
        # scaled once: a paint then copies pixels instead of scaling 64 images (~2x cheaper)
        self._pixmaps = [QPixmap.fromImage(image).scaled(int(IMAGE), int(IMAGE), Qt.AspectRatioMode.IgnoreAspectRatio,
                                                         Qt.TransformationMode.FastTransformation)
                         for image in self._images]
        self.labels = np.asarray(labels, np.int64)[:n]
        self.class_names = tuple(class_names)
        self.predicted = self.confidence = None
        self.focused = 0
        self._fit_height()
        self.update()

    def set_probabilities(self, probabilities: np.ndarray | None) -> None:
        """(n, n_classes) for the first n images (None: no prediction yet)."""
        before = self._shown()
        if probabilities is None or not len(probabilities):
            self.predicted = self.confidence = None
        else:
            probabilities = np.asarray(probabilities)
            self.predicted = probabilities.argmax(axis=1)
            self.confidence = probabilities.max(axis=1)
        after = self._shown()
        if before is None or after is None or before.shape != after.shape:
            self.update()
            return
        # repaint (64 images, ~7 ms) only the cells whose caption changed: late in training, a few
        for row in np.flatnonzero((before != after).any(axis=1)).tolist():
            self.update(self.cell_rect(row))

    def _shown(self) -> np.ndarray | None:
        """What each caption shows: (n, 2) predicted class and confidence in whole percent."""
        if self.predicted is None:
            return None
        return np.stack([self.predicted, np.round(np.asarray(self.confidence) * 100)], axis=1).astype(np.int64)

    def set_focused(self, row: int | None) -> None:
        for old_or_new in {self.focused, row} - {None}:
            self.update(self.cell_rect(old_or_new))
        self.focused = row

    def wrong_rows(self) -> list[int]:
        if self.predicted is None:
            return []
        n = min(len(self.predicted), len(self.labels))
        return [int(i) for i in np.flatnonzero(self.predicted[:n] != self.labels[:n])]

    # --- layout -----------------------------------------------------------------------------------
    def _columns(self) -> int:
        return max(1, self.width() // CELL_W)

    def cell_rect(self, row: int) -> QRect:
        r, c = divmod(row, self._columns())
        return QRect(c * CELL_W, r * CELL_H, CELL_W, CELL_H)

    def _fit_height(self) -> None:
        rows = -(-len(self._images) // self._columns()) if self._images else 1
        self.setMinimumHeight(rows * CELL_H)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802
        self._fit_height()
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(8 * CELL_W, 4 * CELL_H)

    def row_at(self, x: float, y: float) -> int | None:
        row = int(y // CELL_H) * self._columns() + int(x // CELL_W)
        return row if 0 <= x < self._columns() * CELL_W and 0 <= row < len(self._images) else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        row = self.row_at(event.position().x(), event.position().y())
        if event.button() == Qt.MouseButton.LeftButton and row is not None:
            self.set_focused(row)
            self.imageClicked.emit(row)
            return
        super().mousePressEvent(event)

    # --- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: ANN001, N802
        painter = QPainter(self)
        painter.setFont(self._small)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        metrics = painter.fontMetrics()
        wrong = set(self.wrong_rows())
        region = event.region()
        pens = {"focus": QPen(_FOCUS, 2.5), "wrong": QPen(_WRONG, 2.5), "plain": QPen(QColor(200, 204, 210), 1.0)}
        captions = self._captions(metrics)
        for row, pixmap in enumerate(self._pixmaps):
            cell = self.cell_rect(row)
            if not region.intersects(cell):
                continue
            self.cells_painted += 1
            left, top = cell.left() + (CELL_W - IMAGE) // 2, cell.top() + 3
            painter.drawPixmap(left, top, pixmap)
            painter.setPen(pens["focus" if row == self.focused else "wrong" if row in wrong else "plain"])
            painter.drawRect(QRectF(left - 1, top - 1, IMAGE + 2, IMAGE + 2))
            if row < len(captions):
                painter.setPen(_WRONG if row in wrong else _TEXT)
                painter.drawText(QRectF(cell.left(), top + IMAGE + 1, CELL_W, 14), int(Qt.AlignmentFlag.AlignCenter),
                                 captions[row])
        painter.end()

    def _captions(self, metrics) -> list[str]:  # noqa: ANN001 - QFontMetrics
        """Each image's caption: the predicted class, shortened to fit ("triangle"), and the share."""
        if self.predicted is None:
            return []
        fitted: dict[tuple[int, int], str] = {}
        result = []
        for k, percent in zip(self.predicted.tolist(), np.round(np.asarray(self.confidence) * 100).astype(int).tolist()):
            text = fitted.get((k, percent))
            if text is None:
                name = self.class_names[k] if k < len(self.class_names) else str(k)
                share = f" {percent}%"
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, CELL_W - metrics.horizontalAdvance(share))
                fitted[(k, percent)] = text = text + share
            result.append(text)
        return result
