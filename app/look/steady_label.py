"""A label whose text changes often (figures every snapshot) without relaying out the window.

A QLabel's setText asks its parent's layout to recompute, and that request climbs to the window:
every snapshot re-ran the whole window's layout and repainted most of it. Held here, in a widget
with no layout, the request stops at the holder; it passes on only when the label's height changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class SteadyLabel(QWidget):
    """Holds `label`, filling the holder's width; the holder's height follows the label's minimum."""

    def __init__(self, label: QLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._height = 0

    def _wanted_height(self) -> int:
        return max(self.label.minimumHeight(), self.label.minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        self._height = self._wanted_height()
        return QSize(self.label.sizeHint().width(), self._height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self._wanted_height())

    def event(self, event) -> bool:  # noqa: ANN001 - the label's text changed: only a new height matters
        if event.type() == QEvent.Type.LayoutRequest and self._wanted_height() != self._height:
            self.updateGeometry()
        return super().event(event)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.label.setGeometry(0, 0, self.width(), self.height())
        super().resizeEvent(event)
