"""Figures that change every snapshot do not relayout the window (app/look/steady_label.py)."""

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.look.steady_label import SteadyLabel


class _LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802
        self.count += event.type() == QEvent.Type.LayoutRequest
        return False


def test_new_text_in_a_steady_label_does_not_relayout_its_parent_unless_its_height_changes(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = QVBoxLayout(parent)
    label = QLabel("Test loss <b>0.5</b>")
    layout.addWidget(SteadyLabel(label))
    plain = QLabel("Test loss <b>0.5</b>")  # beside it, a bare label for comparison
    layout.addWidget(plain)
    parent.show()
    qtbot.waitExposed(parent)
    qtbot.wait(50)  # the first layout settles
    requests = _LayoutRequests()
    parent.installEventFilter(requests)
    for k in range(5):
        label.setText(f"Test loss <b>0.{k}1234{k}</b> &nbsp; Training loss <b>0.0{k}</b>")
        qtbot.wait(5)
    assert requests.count == 0 and label.width() == label.parentWidget().width() > 0
    plain.setText("Test loss <b>0.41234</b> &nbsp; Training loss <b>0.04</b>")
    qtbot.waitUntil(lambda: requests.count > 0)  # what the bare label does on every snapshot
    requests.count = 0
    label.setText("Test loss <b>0.1</b><br>Test accuracy <b>97%</b>")  # a second line: room for it
    label.setMinimumHeight(2 * label.fontMetrics().lineSpacing() + 4)
    qtbot.waitUntil(lambda: label.height() >= 2 * label.fontMetrics().lineSpacing() + 4)
