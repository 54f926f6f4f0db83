"""The output panel's views for image data (in place of the decision boundary): the gallery of test
predictions, "draw your own", and the class probabilities of the focused image. Clicking a test
image or drawing emits `focusChosen` (a test row or a (C, H, W) picture); the probabilities and the
network view's feature maps follow with the next snapshot (views["feature_maps"])."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.look.widgets import named
from app.panels.draw_canvas import DrawCanvas
from app.plots.class_bars import ClassBars
from app.plots.image_gallery import ImageGallery

GALLERY_ROWS = 64  # what core.training.gallery_probe sends probabilities for


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("groupCaption")
    return label


class ImageViews(QWidget):
    """Gallery | (drawing canvas, clear, probabilities); see the module docstring."""

    focusChosen = Signal(object)  # int test row, or np.ndarray (C, H, W) drawn in the data's units

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageViews")
        self.gallery = ImageGallery()
        self.gallery.imageClicked.connect(self._picked)
        scroll = QScrollArea()
        scroll.setObjectName("imageGalleryScroll")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.gallery)
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(_caption("TEST IMAGES · click one to focus it"))
        left.addWidget(scroll, 1)

        self.canvas = DrawCanvas()
        self.canvas.drawn.connect(self._drew)
        self.clear_button = named(QPushButton("Clear"), "drawClearButton", "Clear the drawing",
                                  "Empty the canvas and go back to the test image picked in the gallery.")
        self.clear_button.clicked.connect(self._clear)
        self.probabilities = ClassBars("classProbabilities", "Class probabilities",
                                       "What the network says the focused image is: one bar per class "
                                       "(the prediction in orange).", row=12)
        self.subject = QLabel("")
        self.subject.setObjectName("focusSubject")
        self.subject.setWordWrap(True)
        drawing = QVBoxLayout()
        drawing.setSpacing(4)
        drawing.addWidget(_caption("DRAW"))
        drawing.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        drawing.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        drawing.addStretch(1)
        prediction = QVBoxLayout()
        prediction.setSpacing(2)
        prediction.addWidget(_caption("PREDICTION"))
        prediction.addWidget(self.subject)
        prediction.addWidget(self.probabilities)
        prediction.addStretch(1)
        side = QWidget()
        right = QHBoxLayout(side)  # side by side: a short window keeps both in view
        right.setContentsMargins(4, 0, 0, 0)
        right.setSpacing(6)
        right.addLayout(drawing)
        right.addLayout(prediction, 1)
        side_scroll = QScrollArea()  # a short window scrolls the column rather than growing
        side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        side_scroll.setWidgetResizable(True)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setWidget(side)
        side_scroll.setFixedWidth(214)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addWidget(side_scroll, 0)
        self._test_row = 0
        self._labels = np.zeros(0, np.int64)
        self._names: tuple[str, ...] = ()

    # --- data and snapshots -----------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        shape = tuple(dataset.input_shape)
        raw = np.asarray(dataset.raw_test[:GALLERY_ROWS], np.float32).reshape(-1, *shape)
        self._labels = np.asarray(dataset.y_test[:GALLERY_ROWS]).astype(np.int64)
        self._names = tuple(dataset.class_names)
        self.gallery.set_images(raw, self._labels, self._names)
        high = float(np.max(dataset.raw_train)) if len(dataset.raw_train) else 1.0
        self.canvas.set_shape(shape, high)
        self.probabilities.set_classes(self._names)
        self.clear()

    def clear(self) -> None:
        """A fresh run: its trainer focuses test row 0 again."""
        self._test_row = 0
        self.gallery.set_focused(0)
        self.gallery.set_probabilities(None)
        self.probabilities.set_values(None)
        self.subject.setText("")

    def update_snapshot(self, snap: Any) -> None:
        views = snap.views or {}
        gallery = views.get("image_gallery")
        if gallery and "probabilities" in gallery:
            self.gallery.set_probabilities(gallery["probabilities"])
        focus = views.get("feature_maps")
        if focus and "probabilities" in focus:
            values = np.asarray(focus["probabilities"])
            self.probabilities.set_values(values, int(values.argmax()) if values.size > 1 else None)
            self.subject.setText(self._describe(focus.get("focus", {})))

    def _describe(self, focus: dict) -> str:
        row = focus.get("test_index")
        if row is None:
            return "Your drawing:"
        true = self._names[int(self._labels[row])] if row < len(self._labels) and self._names else "?"
        return f"Test image {row + 1} (true class {true}):"

    # --- the user ---------------------------------------------------------------------------------
    def _picked(self, row: int) -> None:
        self._test_row = row
        self.focusChosen.emit(int(row))

    def _drew(self, picture: np.ndarray) -> None:
        if self.canvas.is_blank():
            self._clear()
            return
        self.gallery.set_focused(None)
        self.focusChosen.emit(picture)

    def _clear(self) -> None:
        if not self.canvas.is_blank():
            self.canvas.clear()  # emits drawn with a blank picture, which comes back here
            return
        self.gallery.set_focused(self._test_row)
        self.focusChosen.emit(int(self._test_row))
