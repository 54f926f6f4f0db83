"""The window's look: a light, quiet theme close to TensorFlow Playground's (grey top bar, white
panels, orange and blue reserved for data and weights)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#0877bd"
DISABLED_TEXT = "#a8aeb6"

STYLESHEET = f"""
QMainWindow, #centralArea {{ background: #f3f4f6; }}
#controlsBar {{ background: #e9ebee; border-bottom: 1px solid #d5d9de; }}
#groupCaption, #sectionTitle {{ color: #6b7280; font-size: 8pt; font-weight: 600; letter-spacing: 0.5px; }}
#sectionTitle {{ font-size: 9pt; color: #374151; }}
#fieldCaption {{ color: #4b5563; }}
#epochLabel {{ font-size: 20pt; font-weight: 300; color: #1f2937; }}
#stepsPerSecondLabel {{ color: #6b7280; font-size: 8pt; }}
#playButton {{ background: #183d4e; border: none; border-radius: 26px; }}
#playButton:hover {{ background: #23576f; }}
#playButton:checked {{ background: #183d4e; }}
#resetButton, #stepButton {{ background: #6b7a86; border: none; border-radius: 17px; }}
#resetButton:hover, #stepButton:hover {{ background: #586671; }}
#dataPanel, #outputPanel {{ background: #ffffff; border: 1px solid #dde1e6; border-radius: 6px; }}
#networkView {{ border: 1px solid #dde1e6; border-radius: 6px; }}
#dataPanel QToolButton {{ border: 2px solid transparent; border-radius: 4px; background: transparent; }}
#dataPanel QToolButton:hover {{ border-color: #c5ccd3; }}
#dataPanel QToolButton:checked {{ border-color: #1f2937; }}
#dataDescription {{ color: #6b7280; font-size: 8pt; }}
#lossFigures {{ color: #374151; }}
#lossReadout {{ color: #4b5563; font-size: 8pt; min-height: 14px; }}
QStatusBar {{ background: #e9ebee; border-top: 1px solid #d5d9de; color: #374151; }}
QStatusBar QLabel {{ padding: 0 8px; color: #374151; }}
QSplitter::handle {{ background: transparent; }}
QToolTip {{ background: #ffffff; color: #1f2937; border: 1px solid #c5ccd3; padding: 4px; }}
"""


def apply_app_style(app: QApplication) -> None:
    """Fusion style with a light palette, so the window looks the same on every desktop."""
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f3f4f6"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f7f9"))
    palette.setColor(QPalette.ColorRole.Button, QColor("#f7f8fa"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#1f2937"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#1f2937"))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor("#1f2937"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor("#1f2937"))
    # setColor(role, ...) sets every colour group, the disabled one too: greyed-out controls
    # (2-D-only options on a table, Close while an export runs) must still look greyed out.
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(disabled, role, QColor(DISABLED_TEXT))
    palette.setColor(disabled, QPalette.ColorRole.Base, QColor("#f3f4f6"))
    app.setPalette(palette)
    font = app.font()
    if font.pointSizeF() < 9:
        font.setPointSizeF(9)
        app.setFont(font)
