"""The window's side panels in scroll areas that look like the panel itself.

A side panel scrolls vertically once the window is shorter than the panel's minimum (a 1366x768
screen with the runs dock and a banner open), instead of pushing the window's bottom, status bar
included, off the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class _VerticalScroll(QScrollArea):
    """Scrolls up and down only, so it is never narrower than its panel's minimum width (the image views'
    probabilities were cut off at 1366 px when the splitter could squeeze the panel under it)."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        inner = self.widget().minimumSizeHint().width() if self.widget() is not None else 0
        return QSize(max(hint.width(), inner + self.verticalScrollBar().sizeHint().width()), hint.height())


def side_scroll(panel: QWidget, name: str, keep_width: bool = False) -> QScrollArea:
    """`panel` in a scroll area named `name`: no frame and no horizontal scrolling; with `keep_width`
    never narrower than the panel's minimum width."""
    area = _VerticalScroll() if keep_width else QScrollArea()  # the data panel's text wraps narrower
    area.setObjectName(name)
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
