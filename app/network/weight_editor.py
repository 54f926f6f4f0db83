"""The inline editor that opens on a clicked link of the network diagram: type a weight, Enter."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget


class WeightEditor(QLineEdit):
    """Enter commits (`committed` with the value), Escape or clicking elsewhere cancels; text that
    is not a finite number turns the border red and says what to type, and the editor stays open."""

    cancelled = Signal()
    committed = Signal(float)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("weightEditor")
        self.setAccessibleName("New weight")
        self.setToolTip("Type a new value for this weight and press Enter (Escape cancels).")
        self.setFixedWidth(78)
        self.hide()
        self.returnPressed.connect(self._commit)

    def open(self, value: float | None, at: QPointF) -> None:
        """Show pre-filled with `value` (blank if not known yet), centred on `at`, text selected."""
        self.setText("" if value is None else f"{value:.4g}")
        self.setPlaceholderText("weight")
        self.setStyleSheet("")
        self.place(at)
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.selectAll()

    def place(self, at: QPointF) -> None:
        """Centre on `at`, kept inside the parent's width."""
        height = self.sizeHint().height()
        room = self.parentWidget().width()
        x = min(max(at.x() - self.width() / 2, 0), room - self.width())
        self.move(int(x), int(at.y() - height / 2))

    def _commit(self) -> None:
        text = self.text().strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not math.isfinite(value):
            self.setStyleSheet("border: 1px solid #d62728;")
            self.setToolTip(f"'{text}' is not a number; type e.g. -0.5 and press Enter.")
            return
        self.committed.emit(value)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: ANN001, N802
        super().focusOutEvent(event)
        self.cancelled.emit()
