"""A dismissible banner under the top bar for messages the user must not miss (a bad CSV, a
diverged run). It never blocks: tests and users read it, training goes on."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

_LEVEL_STYLE = {
    "info": "background:#e8f1f9; border-bottom:1px solid #b9d3ea; color:#1c3d5a;",
    "warning": "background:#fff4e0; border-bottom:1px solid #f2cf94; color:#5c3b00;",
    "error": "background:#fdeceb; border-bottom:1px solid #f1b8b3; color:#6b1a14;",
}


class MessageBar(QFrame):
    """One message at a time, with a level (info, warning, error) and a close button."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Message")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 8, 6)
        self.label = QLabel("")
        self.label.setObjectName("messageText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setObjectName("messageCloseButton")
        close.setAccessibleName("Dismiss message")
        close.setToolTip("Hide this message.")
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.level = "info"
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        self.level = level if level in _LEVEL_STYLE else "info"
        self.setStyleSheet(f"#messageBar {{ {_LEVEL_STYLE[self.level]} }}")
        self.label.setText(text)
        self.show()

    def dismiss(self) -> None:
        self.hide()
        self.label.setText("")
        self.dismissed.emit()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()
